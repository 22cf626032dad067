package scanner

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
)

// findingIDVersion is hashed first into every finding ID. Changing what an
// ID is derived from means changing this too, so that a new derivation can
// never match an old ID by accident; every finding of a baseline written
// with the old derivation then shows as resolved and comes back as new.
const findingIDVersion = "ownerscan finding id v1"

// FindingID returns the stable ID of a finding: the same finding in two
// scans has the same ID, so a run can be compared with an earlier one
// (--baseline, ownerscan diff) and Security Hub updates a finding instead of
// adding a copy.
//
// The ID is the finding type, "/", and the first 128 bits, in hex, of the
// SHA-256 of the type, account ID, bucket name, region and subject, each
// written as its length (8 bytes, big endian) then its bytes, after
// findingIDVersion written the same way. The length prefixes make the
// encoding unambiguous: no two different tuples hash the same input.
//
// subject tells apart findings of one type on one bucket (or account); it
// is "" for a type raised at most once per bucket or account. It must name
// what the finding is about and never what it measures: no count, size,
// time, severity or title text (titles carry counts), so that an object
// written or a grant's grantee kind re-resolved does not change the ID.
// A finding type raised more than once per bucket picks a subject (one
// line, see the callers of setID) and documents it in the README.
func FindingID(t FindingType, accountID, bucket, region, subject string) string {
	h := sha256.New()
	for _, part := range [...]string{findingIDVersion, string(t), accountID, bucket, region, subject} {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(part)))
		h.Write(n[:])
		h.Write([]byte(part))
	}
	sum := h.Sum(nil)
	return string(t) + "/" + hex.EncodeToString(sum[:16])
}

// setID gives f its stable ID from its own type, account, bucket and region
// and the subject that tells it apart from findings of the same type there.
func (f *Finding) setID(subject string) {
	f.ID = FindingID(f.Type, f.AccountID, f.Bucket, f.Region, subject)
}

// Subjects of the finding types raised more than once per bucket or
// account.
const (
	// subjectOrganization marks the SCAN_ERROR of the organization walk,
	// which has neither account nor bucket.
	subjectOrganization = "organization"
)

// grantSubject names a BUCKET_ACL_GRANT by its grantee (canonical ID, or
// group URI) and permission, never by the grantee's kind or account, which
// are resolved anew each run.
func grantSubject(g Grant) string {
	grantee := g.CanonicalID
	if grantee == "" {
		grantee = g.URI
	}
	if grantee == "" {
		grantee = string(g.Kind)
	}
	return "grantee=" + grantee + " permission=" + g.Permission
}

// assignMissingIDs gives every finding still without an ID the ID of its
// type, account, bucket and region with an empty subject: right for every
// type raised at most once per bucket or account.
func assignMissingIDs(findings []Finding) {
	for i := range findings {
		if findings[i].ID == "" {
			findings[i].setID("")
		}
	}
}
