package scanner

import (
	"container/heap"
	"context"
	"errors"
	"hash/fnv"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"golang.org/x/sync/errgroup"

	"github.com/ownerscan/ownerscan/scanner/policy"
)

// readinessFacts is what a bucket's readiness reads found, before owners
// are resolved (readiness.go turns it into a Readiness).
type readinessFacts struct {
	// The bucket policy. policyRead: GetBucketPolicy was called.
	policyRead bool
	hasPolicy  bool
	doc        *policy.Document // parsed, when it parses
	policyBad  string           // why it could not be understood
	demands    []policy.ACLDemand

	// The object ACL sample.
	sampleSize  int
	chooser     sampleChooser
	candidates  int64 // versions offered (delete markers have no ACL)
	sampled     []sampledACL
	sampleReads int64  // GetObjectAcl calls made
	skipped     string // why no sample was taken
}

// sampledACL is one sampled version and what its ACL said.
type sampledACL struct {
	sampleEntry
	listedOwner string
	denied      bool // owned by another account that denies the bucket owner its ACL
	gone        bool // deleted since it was listed
	grants      []rawGrant
}

// readPolicy reads and parses a bucket's policy into f. NoSuchBucketPolicy
// is no policy; any other error is returned for the bucket to fail on.
// Policy text that cannot be understood is not an error of the read: f
// says why, and the verdict becomes unknown.
func readPolicy(ctx context.Context, api S3API, bucket string, f *readinessFacts) error {
	f.policyRead = true
	out, err := api.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)})
	if err != nil {
		var apiErr smithy.APIError
		if errors.As(err, &apiErr) && apiErr.ErrorCode() == "NoSuchBucketPolicy" {
			return nil
		}
		return err
	}
	f.hasPolicy = true
	doc, err := policy.Parse([]byte(aws.ToString(out.Policy)))
	if err != nil {
		f.policyBad = err.Error()
		return nil
	}
	f.doc = doc
	return nil
}

// analysePolicy finds the statements that demand ACLs, once the bucket
// owner's canonical ID is known.
func (f *readinessFacts) analysePolicy(ownerCanonicalID string) {
	if f.doc == nil {
		return
	}
	demands, err := f.doc.ACLDemands(ownerCanonicalID)
	if err != nil {
		f.policyBad = err.Error()
		return
	}
	f.demands = demands
}

// offer considers one listed version for the object ACL sample.
func (f *readinessFacts) offer(v versionEntry) {
	if v.marker || f.sampleSize <= 0 {
		return
	}
	f.candidates++
	f.chooser.offer(sampleEntry{key: v.key, versionID: v.versionID, latest: v.latest, owner: v.owner}, f.sampleSize)
}

// readObjectACLs reads the ACL of every sampled version, all at once (each
// call holds a slot of the scan's budget like any other). A version owned
// by another account that answers AccessDenied is counted as denying the
// bucket owner, and one deleted since the listing as gone; any other error
// stops the sample and is returned.
func readObjectACLs(ctx context.Context, api S3API, bucket, bucketOwner string, f *readinessFacts) error {
	chosen := f.chooser.sorted()
	f.sampled = make([]sampledACL, len(chosen))
	g, gctx := errgroup.WithContext(ctx)
	for i, e := range chosen {
		s := &f.sampled[i]
		s.sampleEntry, s.listedOwner = e, e.owner
		g.Go(func() error {
			out, err := api.GetObjectAcl(gctx, &s3.GetObjectAclInput{Bucket: aws.String(bucket), Key: aws.String(e.key), VersionId: aws.String(e.versionID)})
			var apiErr smithy.APIError
			switch {
			case err == nil:
			case errors.As(err, &apiErr) && apiErr.ErrorCode() == "AccessDenied" && e.owner != bucketOwner && e.owner != "":
				s.denied = true
				return nil
			case errors.As(err, &apiErr) && (apiErr.ErrorCode() == "NoSuchKey" || apiErr.ErrorCode() == "NoSuchVersion"):
				s.gone = true
				return nil
			default:
				return err
			}
			owner := e.owner
			if out.Owner != nil && aws.ToString(out.Owner.ID) != "" {
				owner = aws.ToString(out.Owner.ID)
			}
			s.owner = owner
			for _, gr := range foreignGrants(out.Grants, owner) {
				if gr.canonicalID != bucketOwner {
					s.grants = append(s.grants, gr)
				}
			}
			return nil
		})
	}
	f.sampleReads = int64(len(chosen))
	return g.Wait()
}

// sampledGrants reports whether any sampled ACL grants someone access.
func (f *readinessFacts) sampledGrants() bool {
	for _, s := range f.sampled {
		if len(s.grants) > 0 {
			return true
		}
	}
	return false
}

// sampleEntry is a version that may be sampled.
type sampleEntry struct {
	key, versionID string
	latest         bool
	owner          string // as listed, then as the ACL says
	rank           uint64
}

// sampleRank orders versions for the sample: a hash of key and version ID,
// so the sample is the same for the same bucket state, whatever order the
// listing delivered it in, and spread over the whole key space (nothing
// about a key, such as looking public, makes it likelier to be chosen).
func sampleRank(key, versionID string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(key))
	h.Write([]byte{0})
	h.Write([]byte(versionID))
	return h.Sum64()
}

// before orders sample entries by rank, then key and version ID.
func (a sampleEntry) before(b sampleEntry) bool {
	if a.rank != b.rank {
		return a.rank < b.rank
	}
	if a.key != b.key {
		return a.key < b.key
	}
	return a.versionID < b.versionID
}

// sampleChooser keeps the n entries of lowest rank it was offered: a max-heap
// on rank, so a listing of any size costs memory for n entries only.
type sampleChooser []sampleEntry

func (c sampleChooser) Len() int           { return len(c) }
func (c sampleChooser) Less(i, j int) bool { return c[j].before(c[i]) }
func (c sampleChooser) Swap(i, j int)      { c[i], c[j] = c[j], c[i] }
func (c *sampleChooser) Push(x any)        { *c = append(*c, x.(sampleEntry)) }
func (c *sampleChooser) Pop() any {
	old := *c
	e := old[len(old)-1]
	*c = old[:len(old)-1]
	return e
}

func (c *sampleChooser) offer(e sampleEntry, n int) {
	e.rank = sampleRank(e.key, e.versionID)
	switch {
	case len(*c) < n:
		heap.Push(c, e)
	case e.before((*c)[0]):
		(*c)[0] = e
		heap.Fix(c, 0)
	}
}

// sorted returns the chosen entries in rank order.
func (c sampleChooser) sorted() []sampleEntry {
	out := append([]sampleEntry(nil), c...)
	sort.Slice(out, func(i, j int) bool { return out[i].before(out[j]) })
	return out
}
