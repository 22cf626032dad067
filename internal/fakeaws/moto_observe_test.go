package fakeaws_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/ownerscan/ownerscan/internal/mototest"
)

// observation is what the SDK sees of one side, with every account ID
// replaced by the account's name ("<management>" for the management
// account), so fakeaws and moto can be compared field by field.
type observation struct {
	OrgFeatureSet         string
	OrgMasterIsCaller     bool
	AccountPages20        []int // ListAccounts page sizes with MaxResults 20
	AccountPages7         []int
	AccountTokens7        []bool   // NextToken present after each page
	Accounts              []string // "name state/status", sorted
	AccountArnsWellFormed bool

	Roots           []string // ListRoots: name and ID shape
	OUTree          []string // per parent path: children counts and accounts
	Parents         []string // ListParents of members at each depth
	DescribeAccount []string

	AssumedIdentities []string // per member: "account arn", normalised
	AssumedKeysASIA   bool     // every session key starts with ASIA

	BucketsByAccount []string // "account: b1,b2", sorted
	ListBucketsToken bool     // any ContinuationToken on the last page

	Ownership    []string // "bucket: value" or "bucket: error Code HTTP n"
	RoundTrip    []string // ownership seen on bucketRoundTrip after Get, Put, Get, Delete, Get
	ACLs         []string // "bucket: owner=<ownerShape> grant..." per ownership bucket
	OwnersAgree  []string // "bucket: listing owners equal the ACL owner: bool"
	EURegion     []string // GetBucketLocation / HeadBucket in eu-west-1
	ObjectsV2    []string // paging of bucketMany, default page
	ObjectsV2400 []string // paging of bucketMany, MaxKeys 400
	Versions     []string // paging of bucketMany, default page
	Versioned4   []string // paging of bucketVersions, MaxKeys 4
	VersionedV2  []string // ListObjectsV2 of bucketVersions
	Delimited    []string // ListObjectsV2 of bucketVersions with Delimiter "/"
	Errors       []string // error code and HTTP status of common misses

	// Readiness reads (moto_observe_readiness_test.go).
	Policies   []string // bucket policy Get/Put/Delete and GetBucketLogging on bucketRoundTrip
	ObjectACLs []string // GetObjectAcl shapes, and an anonymous read of a public-read object
	Encryption []string // SSE-KMS as each write and read of it answers
}

// observer runs the scenario's read side against one endpoint.
type observer struct {
	t     *testing.T
	ctx   context.Context
	org   *diffOrg
	mgmt  aws.Config
	names map[string]string     // account ID -> name
	ids   map[string]string     // name -> account ID
	cfgs  map[string]aws.Config // name ("" = management) -> credentials
	obs   observation
}

// observe drives one side through exactly the same SDK calls. The observer
// it returns holds the observation and, for later probes, the account maps
// and each account's credentials.
func observe(t *testing.T, side diffSide, org *diffOrg) *observer {
	t.Helper()
	o := &observer{t: t, ctx: context.Background(), org: org, mgmt: side.Mgmt,
		names: map[string]string{}, ids: map[string]string{}, cfgs: map[string]aws.Config{"": side.Mgmt}}
	o.organization()
	o.ouTree()
	o.assumeRoles()
	o.listBuckets()
	o.ownership()
	o.roundTrip()
	o.acls()
	o.regions()
	o.objects()
	o.misses()
	o.readiness()
	o.encryption()
	return o
}

func (o *observer) fatalf(format string, args ...any) {
	o.t.Helper()
	o.t.Fatalf(format, args...)
}

// norm replaces every known account ID in s by the account's name.
func (o *observer) norm(s string) string {
	for id, name := range o.names {
		s = strings.ReplaceAll(s, id, "<"+name+">")
	}
	return s
}

// cfgFor returns the credentials of the account owning bucket.
func (o *observer) cfgFor(bucket string) aws.Config { return o.cfgs[o.org.bucket(bucket).Account] }

func (o *observer) s3For(bucket string) *s3.Client { return mototest.NewS3(o.cfgFor(bucket)) }

// listBuckets lists, as each account, every page of its buckets.
func (o *observer) listBuckets() {
	accounts := append([]string{""}, o.org.Members...)
	for _, acct := range accounts {
		client := mototest.NewS3(o.cfgs[acct])
		var names []string
		p := s3.NewListBucketsPaginator(client, &s3.ListBucketsInput{MaxBuckets: aws.Int32(1000)})
		for p.HasMorePages() {
			out, err := p.NextPage(o.ctx)
			if err != nil {
				o.fatalf("ListBuckets as %q: %v", acct, err)
			}
			for _, b := range out.Buckets {
				names = append(names, aws.ToString(b.Name))
			}
			o.obs.ListBucketsToken = o.obs.ListBucketsToken || (!p.HasMorePages() && out.ContinuationToken != nil)
		}
		sort.Strings(names)
		label := acct
		if label == "" {
			label = "management"
		}
		o.obs.BucketsByAccount = append(o.obs.BucketsByAccount, label+": "+strings.Join(names, ","))
	}
}

// ownershipOf renders GetBucketOwnershipControls as a value or an error.
func (o *observer) ownershipOf(bucket string) string {
	out, err := o.s3For(bucket).GetBucketOwnershipControls(o.ctx, &s3.GetBucketOwnershipControlsInput{Bucket: aws.String(bucket)})
	if err != nil {
		return errorShape(err)
	}
	var rules []string
	for _, r := range out.OwnershipControls.Rules {
		rules = append(rules, string(r.ObjectOwnership))
	}
	return strings.Join(rules, ",")
}

// errorShape is the SDK-visible identity of an API error: code and status.
func errorShape(err error) string {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return "error " + err.Error()
	}
	status := 0
	var withStatus interface{ HTTPStatusCode() int }
	if errors.As(err, &withStatus) {
		status = withStatus.HTTPStatusCode()
	}
	return fmt.Sprintf("error %s HTTP %d", apiErr.ErrorCode(), status)
}

var ownershipBuckets = []string{bucketEnforced, bucketPreferred, bucketWriter, bucketNotSet}

func (o *observer) ownership() {
	for _, b := range ownershipBuckets {
		o.obs.Ownership = append(o.obs.Ownership, b+": "+o.ownershipOf(b))
	}
}

// roundTrip puts, reads and deletes ownership controls on a bucket that has none.
func (o *observer) roundTrip() {
	client := o.s3For(bucketRoundTrip)
	name := aws.String(bucketRoundTrip)
	o.obs.RoundTrip = append(o.obs.RoundTrip, o.ownershipOf(bucketRoundTrip))
	for _, value := range []s3types.ObjectOwnership{s3types.ObjectOwnershipBucketOwnerPreferred, s3types.ObjectOwnershipObjectWriter} {
		_, err := client.PutBucketOwnershipControls(o.ctx, &s3.PutBucketOwnershipControlsInput{Bucket: name,
			OwnershipControls: &s3types.OwnershipControls{Rules: []s3types.OwnershipControlsRule{{ObjectOwnership: value}}}})
		if err != nil {
			o.fatalf("PutBucketOwnershipControls %s: %v", value, err)
		}
		o.obs.RoundTrip = append(o.obs.RoundTrip, o.ownershipOf(bucketRoundTrip))
	}
	if _, err := client.DeleteBucketOwnershipControls(o.ctx, &s3.DeleteBucketOwnershipControlsInput{Bucket: name}); err != nil {
		o.fatalf("DeleteBucketOwnershipControls: %v", err)
	}
	o.obs.RoundTrip = append(o.obs.RoundTrip, o.ownershipOf(bucketRoundTrip))
}

var hex64 = regexp.MustCompile(`^[0-9a-f]{64}$`)

// bucketACL returns a bucket's ACL owner ID and the ACL's shape: whether the
// owner is a 64-hex canonical ID, and each grant with the owner abstracted.
func (o *observer) bucketACL(bucket string) (owner, shape string) {
	out, err := o.s3For(bucket).GetBucketAcl(o.ctx, &s3.GetBucketAclInput{Bucket: aws.String(bucket)})
	if err != nil {
		o.fatalf("GetBucketAcl %s: %v", bucket, err)
	}
	owner = aws.ToString(out.Owner.ID)
	shape = "owner=other"
	if hex64.MatchString(owner) {
		shape = "owner=hex64"
	}
	var grants []string
	for _, g := range out.Grants {
		who := "?"
		switch {
		case g.Grantee == nil:
		case aws.ToString(g.Grantee.ID) == owner:
			who = "owner"
		case g.Grantee.URI != nil:
			who = aws.ToString(g.Grantee.URI)
		case g.Grantee.ID != nil:
			who = "id:" + aws.ToString(g.Grantee.ID)
		}
		grants = append(grants, fmt.Sprintf("%s:%s:%s", g.Grantee.Type, who, g.Permission))
	}
	sort.Strings(grants)
	return owner, shape + " " + strings.Join(grants, " ")
}

func (o *observer) acls() {
	for _, b := range ownershipBuckets {
		_, shape := o.bucketACL(b)
		o.obs.ACLs = append(o.obs.ACLs, b+": "+shape)
	}
}

// regions reads the eu-west-1 bucket's region the two ways the scanner may.
func (o *observer) regions() {
	client := mototest.NewS3(mototest.InRegion(o.cfgFor(bucketEU), "eu-west-1"))
	loc, err := client.GetBucketLocation(o.ctx, &s3.GetBucketLocationInput{Bucket: aws.String(bucketEU)})
	if err != nil {
		o.obs.EURegion = append(o.obs.EURegion, "GetBucketLocation "+errorShape(err))
	} else {
		o.obs.EURegion = append(o.obs.EURegion, "GetBucketLocation "+string(loc.LocationConstraint))
	}
	head, err := client.HeadBucket(o.ctx, &s3.HeadBucketInput{Bucket: aws.String(bucketEU)})
	if err != nil {
		o.obs.EURegion = append(o.obs.EURegion, "HeadBucket "+errorShape(err))
	} else {
		o.obs.EURegion = append(o.obs.EURegion, "HeadBucket "+aws.ToString(head.BucketRegion))
	}
}

func (o *observer) objects() {
	o.obs.ObjectsV2 = o.listV2(bucketMany, 0)
	o.obs.ObjectsV2400 = o.listV2(bucketMany, 400)
	o.obs.VersionedV2 = o.listV2(bucketVersions, 0)
	o.delimited()
	o.obs.Versions = o.listVersions(bucketMany, 0)
	o.obs.Versioned4 = o.listVersions(bucketVersions, 4)

	// The owner every listing reports must be the bucket's ACL owner: that is
	// what the scanner compares against. fetch-owner is on for V2.
	for _, b := range []string{bucketWriter, bucketNotSet, bucketMany, bucketVersions} {
		owner, _ := o.bucketACL(b)
		agree := true
		p := s3.NewListObjectVersionsPaginator(o.s3For(b), &s3.ListObjectVersionsInput{Bucket: aws.String(b)})
		for p.HasMorePages() {
			out, err := p.NextPage(o.ctx)
			if err != nil {
				o.fatalf("ListObjectVersions %s: %v", b, err)
			}
			for _, v := range out.Versions {
				agree = agree && v.Owner != nil && aws.ToString(v.Owner.ID) == owner
			}
			for _, d := range out.DeleteMarkers {
				agree = agree && d.Owner != nil && aws.ToString(d.Owner.ID) == owner
			}
		}
		v2, err := o.s3For(b).ListObjectsV2(o.ctx, &s3.ListObjectsV2Input{Bucket: aws.String(b), FetchOwner: aws.Bool(true)})
		if err != nil {
			o.fatalf("ListObjectsV2 %s: %v", b, err)
		}
		for _, c := range v2.Contents {
			agree = agree && c.Owner != nil && aws.ToString(c.Owner.ID) == owner
		}
		o.obs.OwnersAgree = append(o.obs.OwnersAgree, fmt.Sprintf("%s: %t", b, agree))
	}
}

// misses records the errors the scanner has to tell apart: a bucket or key
// that does not exist, through the operations it uses.
func (o *observer) misses() {
	const missing = "diff-no-such-bucket"
	client := o.s3For(bucketWriter)
	_, err := client.GetBucketOwnershipControls(o.ctx, &s3.GetBucketOwnershipControlsInput{Bucket: aws.String(missing)})
	o.obs.Errors = append(o.obs.Errors, "GetBucketOwnershipControls missing bucket: "+errorShape(err))
	_, err = client.GetBucketAcl(o.ctx, &s3.GetBucketAclInput{Bucket: aws.String(missing)})
	o.obs.Errors = append(o.obs.Errors, "GetBucketAcl missing bucket: "+errorShape(err))
	_, err = client.ListObjectVersions(o.ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(missing)})
	o.obs.Errors = append(o.obs.Errors, "ListObjectVersions missing bucket: "+errorShape(err))
	_, err = client.HeadBucket(o.ctx, &s3.HeadBucketInput{Bucket: aws.String(missing)})
	o.obs.Errors = append(o.obs.Errors, "HeadBucket missing bucket: "+errorShape(err))
	_, err = client.GetObject(o.ctx, &s3.GetObjectInput{Bucket: aws.String(bucketWriter), Key: aws.String("no/such/key")})
	o.obs.Errors = append(o.obs.Errors, "GetObject missing key: "+errorShape(err))
	got, err := client.GetObject(o.ctx, &s3.GetObjectInput{Bucket: aws.String(bucketWriter), Key: aws.String("w/1")})
	if err != nil {
		o.obs.Errors = append(o.obs.Errors, "GetObject own object: "+errorShape(err))
	} else {
		got.Body.Close()
		o.obs.Errors = append(o.obs.Errors, fmt.Sprintf("GetObject own object: ContentLength=%d", aws.ToInt64(got.ContentLength)))
	}
}

// delimited lists bucketVersions with Delimiter "/": keys and common prefixes.
func (o *observer) delimited() {
	out, err := o.s3For(bucketVersions).ListObjectsV2(o.ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucketVersions), Delimiter: aws.String("/")})
	if err != nil {
		o.fatalf("ListObjectsV2 delimiter: %v", err)
	}
	var keys, prefixes []string
	for _, c := range out.Contents {
		keys = append(keys, aws.ToString(c.Key))
	}
	for _, p := range out.CommonPrefixes {
		prefixes = append(prefixes, aws.ToString(p.Prefix))
	}
	o.obs.Delimited = []string{fmt.Sprintf("keys=%q prefixes=%q KeyCount=%d delimiter=%q truncated=%t",
		keys, prefixes, aws.ToInt32(out.KeyCount), aws.ToString(out.Delimiter), aws.ToBool(out.IsTruncated))}
}

// listV2 pages ListObjectsV2 and renders each page's shape plus the keys.
func (o *observer) listV2(bucket string, maxKeys int32) []string {
	client := o.s3For(bucket)
	in := &s3.ListObjectsV2Input{Bucket: aws.String(bucket), FetchOwner: aws.Bool(true)}
	if maxKeys > 0 {
		in.MaxKeys = aws.Int32(maxKeys)
	}
	var lines, keys []string
	for page := 0; page < 100; page++ {
		out, err := client.ListObjectsV2(o.ctx, in)
		if err != nil {
			o.fatalf("ListObjectsV2 %s: %v", bucket, err)
		}
		var size int64
		for _, c := range out.Contents {
			keys = append(keys, aws.ToString(c.Key))
			size += aws.ToInt64(c.Size)
		}
		lines = append(lines, fmt.Sprintf("page %d: keys=%d KeyCount=%d MaxKeys=%d truncated=%t next=%t bytes=%d",
			page, len(out.Contents), aws.ToInt32(out.KeyCount), aws.ToInt32(out.MaxKeys),
			aws.ToBool(out.IsTruncated), out.NextContinuationToken != nil, size))
		if !aws.ToBool(out.IsTruncated) {
			break
		}
		in.ContinuationToken = out.NextContinuationToken
	}
	return append(lines, summarizeKeys(keys))
}

// summarizeKeys renders a key list compactly: count, sortedness, first and
// last keys, and all keys when there are few.
func summarizeKeys(keys []string) string {
	s := fmt.Sprintf("%d keys, sorted=%t", len(keys), slices.IsSorted(keys))
	if len(keys) <= 12 {
		return s + fmt.Sprintf(" %q", keys)
	}
	return s + fmt.Sprintf(" first=%q last=%q", keys[0], keys[len(keys)-1])
}

// listVersions pages ListObjectVersions by hand, so each page's markers are
// visible, and renders versions and delete markers in key order.
func (o *observer) listVersions(bucket string, maxKeys int32) []string {
	client := o.s3For(bucket)
	in := &s3.ListObjectVersionsInput{Bucket: aws.String(bucket)}
	if maxKeys > 0 {
		in.MaxKeys = aws.Int32(maxKeys)
	}
	var lines, keys []string
	seenIDs := map[string]bool{}
	idsUnique, nullIDs, markerIsLast := true, 0, true
	for page := 0; page < 100; page++ {
		out, err := client.ListObjectVersions(o.ctx, in)
		if err != nil {
			o.fatalf("ListObjectVersions %s: %v", bucket, err)
		}
		var entries []string
		var size int64
		lastID := ""
		for _, v := range out.Versions {
			entries = append(entries, fmt.Sprintf("V %s latest=%t size=%d", aws.ToString(v.Key), aws.ToBool(v.IsLatest), aws.ToInt64(v.Size)))
			keys = append(keys, aws.ToString(v.Key))
			size += aws.ToInt64(v.Size)
			id := aws.ToString(v.VersionId)
			if id == "null" {
				nullIDs++
			} else if seenIDs[id] || id == "" {
				idsUnique = false
			}
			seenIDs[id] = true
			lastID = id
		}
		for _, d := range out.DeleteMarkers {
			entries = append(entries, fmt.Sprintf("D %s latest=%t", aws.ToString(d.Key), aws.ToBool(d.IsLatest)))
			id := aws.ToString(d.VersionId)
			if seenIDs[id] || id == "" {
				idsUnique = false
			}
			seenIDs[id] = true
		}
		truncated := aws.ToBool(out.IsTruncated)
		line := fmt.Sprintf("page %d: versions=%d markers=%d MaxKeys=%d truncated=%t nextKey=%q bytes=%d",
			page, len(out.Versions), len(out.DeleteMarkers), aws.ToInt32(out.MaxKeys), truncated, aws.ToString(out.NextKeyMarker), size)
		if len(out.Versions)+len(out.DeleteMarkers) <= 12 {
			sort.Strings(entries)
			line += fmt.Sprintf(" %q", entries)
		}
		lines = append(lines, line)
		if !truncated {
			break
		}
		// Unversioned listings page with VersionIdMarker "null"; versioned
		// ones with the version ID of the last entry of the page, which
		// may be a delete marker, so only check it is one we have seen.
		if next := aws.ToString(out.NextVersionIdMarker); !seenIDs[next] && next != lastID {
			markerIsLast = false
		}
		in.KeyMarker, in.VersionIdMarker = out.NextKeyMarker, out.NextVersionIdMarker
	}
	return append(lines, summarizeKeys(keys),
		fmt.Sprintf("version IDs unique=%t null=%d next-version-marker-seen=%t", idsUnique, nullIDs, markerIsLast))
}
