package scanner

import (
	"fmt"
	"sort"
	"strings"
)

// objectGrantKey identifies one grantee and permission of sampled object
// ACLs.
type objectGrantKey struct {
	kind                   GranteeKind
	canonicalID, uri, perm string
}

// objectSample turns the sampled object ACLs into the sample's counts and
// blockers: grants a bucket policy can give the same way (an account, or
// AllUsers reading specific objects) are migrate, with statements for the
// sampled versions; grants no principal stands for (AuthenticatedUsers,
// other groups) are blocked.
func (a *assessment) objectSample() {
	s := &a.rd.ObjectACLSample
	f := a.f
	if f == nil {
		s.Skipped = "the bucket's checks stopped before its objects were sampled"
		return
	}
	s.Size = f.sampleSize
	empty := false
	switch {
	case f.skipped != "":
		s.Skipped = f.skipped
	case f.sampled == nil && f.candidates == 0 && a.b.Status != BucketFailed:
		s.Skipped, empty = "the bucket holds no object version to sample", true
	case f.sampled == nil:
		s.Skipped = "the bucket's checks stopped before its objects were sampled"
	}
	if s.Skipped != "" {
		if !empty {
			a.rd.Changes = append(a.rd.Changes, "Object ACLs were not sampled ("+s.Skipped+"): grants on objects, if any, were not looked for.")
		}
		return
	}
	counts := map[objectGrantKey]*ObjectGrant{}
	samples := map[objectGrantKey]*sampleKeys{}
	reads := map[objectGrantKey]*objectReads{} // by grantee, permission ""
	var order []objectGrantKey
	for _, v := range f.sampled {
		switch {
		case v.denied:
			s.Denied++
			continue
		case v.gone:
			s.Gone++
			continue
		}
		s.Read++
		for _, raw := range v.grants {
			g := a.grantee(classifyCloudFront(raw, a.stmts.partition))
			k := objectGrantKey{g.Kind, g.CanonicalID, g.URI, g.Permission}
			if counts[k] == nil {
				counts[k], samples[k] = &ObjectGrant{Grant: g}, &sampleKeys{}
				order = append(order, k)
			}
			counts[k].Versions++
			samples[k].offer(v.key)
			if !grantsRead(g.Permission) {
				continue
			}
			gk := objectGrantKey{kind: g.Kind, canonicalID: g.CanonicalID, uri: g.URI}
			r := reads[gk]
			if r == nil {
				r = &objectReads{grant: g, latest: map[string][]string{}, noncurrent: map[string][]string{}}
				reads[gk] = r
			}
			if v.latest {
				r.latest[v.key] = append(r.latest[v.key], v.versionID)
			} else {
				r.noncurrent[v.key] = append(r.noncurrent[v.key], v.versionID)
			}
		}
	}
	sort.Slice(order, func(i, j int) bool { return objectGrantLess(order[i], order[j]) })
	var movable, stuck []string
	var readers []objectReads
	emitted := map[objectGrantKey]bool{}
	for _, k := range order {
		g := counts[k]
		g.SampleKeys = append([]string{}, *samples[k]...)
		s.Grants = append(s.Grants, *g)
		line := fmt.Sprintf("%s to %s on %d version(s), e.g. %s", g.Permission, granteeLabel(g.Grant), g.Versions, strings.Join(g.SampleKeys, ", "))
		if _, _, ok := principalOf(g.Grant, a.stmts.partition); ok || !grantsRead(g.Permission) {
			movable = append(movable, line)
		} else {
			stuck = append(stuck, line)
		}
		gk := objectGrantKey{kind: k.kind, canonicalID: k.canonicalID, uri: k.uri}
		if r := reads[gk]; r != nil && !emitted[gk] {
			readers = append(readers, *r) // once per grantee, whatever its permissions
			emitted[gk] = true
		}
	}
	a.stmts.objectGrantStatements(readers)
	sampleNote := fmt.Sprintf("The sample read %d version(s) of %d listed; others may carry grants too: before switching, look for aclRequired=Yes in the bucket's server access logs or CloudTrail data events (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-ownership-migrating-acls-prerequisites.html).", s.Read, f.candidates)
	if len(movable) > 0 {
		a.block(BlockerObjectACLGrants, VerdictMigrate,
			"Sampled object ACLs grant access that stops when ACLs are disabled: "+strings.Join(movable, "; ")+".",
			"The migration policy gives each grantee read access to the sampled versions (s3:GetObjectVersion limited by s3:versionid, and s3:GetObject of the keys whose current version it could read: a read without a version ID carries no s3:versionid, so a policy cannot tie it to one version, and later versions of those keys become readable too); grants of READ_ACP or WRITE_ACP concern only the ACL calls and need nothing. A statement for AllUsers takes effect only where Block Public Access allows public bucket policies: with BlockPublicPolicy on for the bucket or the account, S3 refuses the whole policy (the apply step fails and the bucket stays as it was). "+sampleNote)
	}
	if len(stuck) > 0 {
		a.block(BlockerObjectACLGrants, VerdictBlocked,
			"Sampled object ACLs grant read access to grantees no bucket policy principal stands for exactly: "+strings.Join(stuck, "; ")+".",
			"Decide who needs the access (AuthenticatedUsers is any AWS account; \"*\" in a policy would include anonymous callers), grant those principals in the bucket policy, then scan again. "+sampleNote)
	}
}

// objectGrantLess puts public grants first, then by grantee and permission.
func objectGrantLess(a, b objectGrantKey) bool {
	pa, pb := isPublic(a.kind), isPublic(b.kind)
	if pa != pb {
		return pa
	}
	if a.kind != b.kind {
		return a.kind < b.kind
	}
	if a.canonicalID+a.uri != b.canonicalID+b.uri {
		return a.canonicalID+a.uri < b.canonicalID+b.uri
	}
	return a.perm < b.perm
}

func isPublic(k GranteeKind) bool { return k == GranteeAllUsers || k == GranteeAuthenticatedUsers }
