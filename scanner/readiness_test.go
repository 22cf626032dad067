package scanner

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// TestSampleChooser: the sample is the same set whatever order the
// versions arrive in, is spread over the key space, and never holds more
// than asked.
func TestSampleChooser(t *testing.T) {
	var entries []sampleEntry
	for i := range 5000 {
		entries = append(entries, sampleEntry{key: fmt.Sprintf("k/%05d", i), versionID: "null"})
	}
	choose := func(order []sampleEntry) []string {
		var c sampleChooser
		for _, e := range order {
			c.offer(e, 10)
		}
		var keys []string
		for _, e := range c.sorted() {
			keys = append(keys, e.key)
		}
		return keys
	}
	want := choose(entries)
	shuffled := append([]sampleEntry(nil), entries...)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	if got := choose(shuffled); !reflect.DeepEqual(got, want) || len(got) != 10 {
		t.Fatalf("sample depends on order:\n%v\n%v", got, want)
	}
	sorted := append([]string(nil), want...)
	sort.Strings(sorted)
	if sorted[0] >= "k/02500" || sorted[9] < "k/02500" {
		t.Errorf("sample not spread over the key space: %v", sorted)
	}
	// A bucket smaller than the sample is sampled whole.
	if got := choose(entries[:5]); len(got) != 5 {
		t.Errorf("a bucket of 5 versions gives a sample of %d", len(got))
	}
}

// TestReadinessSampleIndependentOfConcurrency: the versions whose ACL a
// scan reads are the same at any concurrency, exactly object_acl_sample of
// them, delete markers excluded.
func TestReadinessSampleIndependentOfConcurrency(t *testing.T) {
	read := func(concurrency int) []string {
		var mu sync.Mutex
		var keys []string
		w := &fakeWorld{caller: "111111111111",
			accounts: []orgtypes.Account{fakeAccount("111111111111", "A", "ACTIVE")},
			buckets:  map[string][]*fakeBucket{"111111111111": {{name: "big", region: "us-east-1", ownership: "ObjectWriter"}}},
		}
		b := w.buckets["111111111111"][0]
		for i := range 3000 {
			b.versions = append(b.versions, fakeVersion(fmt.Sprintf("k/%05d", i), "111111111111", 1))
		}
		w.objectACL = func(in *s3.GetObjectAclInput) (*s3.GetObjectAclOutput, error) {
			mu.Lock()
			keys = append(keys, aws.ToString(in.Key)+"@"+aws.ToString(in.VersionId))
			mu.Unlock()
			return &s3.GetObjectAclOutput{Owner: &s3types.Owner{ID: aws.String(canon("111111111111"))}}, nil
		}
		opts := DefaultOptions()
		opts.Concurrency = concurrency
		res, err := scanFake(context.Background(), w, opts, &memorySink{})
		if err != nil {
			t.Fatal(err)
		}
		if rd := res.Buckets[0].Readiness; rd == nil || rd.ObjectACLSample.Read != DefaultObjectACLSample || rd.Verdict != VerdictReady {
			t.Fatalf("readiness %+v", rd)
		}
		sort.Strings(keys)
		return keys
	}
	a, b := read(1), read(64)
	if !reflect.DeepEqual(a, b) || len(a) != DefaultObjectACLSample {
		t.Fatalf("sampled versions differ by concurrency:\n%v\n%v", a, b)
	}
}

// TestReadinessHostilePolicies: policy text that is not a policy, or one
// built to hurt a parser, ends in an unknown verdict with the reason, and
// the scan goes on.
func TestReadinessHostilePolicies(t *testing.T) {
	deep := strings.Repeat(`{"a":`, 5000) + "1" + strings.Repeat("}", 5000)
	cases := map[string]string{
		"not JSON":         "<html>nope</html>",
		"deeply nested":    deep,
		"huge":             `{"Statement": [` + strings.Repeat(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},`, 2000) + `{}]}`,
		"wrong types":      `{"Statement": {"Effect": ["Allow"], "Principal": 7, "Action": {"s3": true}, "Resource": null}}`,
		"empty":            ``,
		"unknown operator": `{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*", "Condition": {"StringMaybe": {"s3:x-amz-acl": "x"}}}}`,
		"numeric on acl":   `{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*", "Condition": {"NumericEquals": {"s3:x-amz-acl": 1}}}}`,
	}
	for name, text := range cases {
		t.Run(name, func(t *testing.T) {
			w := &fakeWorld{caller: "111111111111",
				accounts: []orgtypes.Account{fakeAccount("111111111111", "A", "ACTIVE")},
				buckets:  map[string][]*fakeBucket{"111111111111": {{name: "b", region: "us-east-1", ownership: "ObjectWriter", policy: aws.String(text)}}},
			}
			res, err := scanFake(context.Background(), w, DefaultOptions(), &memorySink{})
			if err != nil {
				t.Fatal(err)
			}
			rd := res.Buckets[0].Readiness
			if rd == nil || rd.Verdict != VerdictUnknown || len(rd.Blockers) != 1 || rd.Blockers[0].Kind != BlockerPolicyUnreadable || rd.Blockers[0].Detail == "" {
				t.Fatalf("readiness %+v", rd)
			}
			if !res.Complete || res.Buckets[0].Status != BucketNoncompliant {
				t.Errorf("an unreadable policy is the bucket's state, not a failed read: complete %v, status %s", res.Complete, res.Buckets[0].Status)
			}
		})
	}
}

// TestReadinessReadFailures: a readiness read that fails fails the bucket
// (the scan is incomplete: a report calling it complete would present a
// verdict nobody could give), with verdict unknown naming the call. An
// object of another account that denies its ACL is counted, not a failure.
func TestReadinessReadFailures(t *testing.T) {
	denied := &smithy.GenericAPIError{Code: "AccessDenied", Message: "Access Denied"}
	newWorld := func() *fakeWorld {
		w := &fakeWorld{caller: "111111111111",
			accounts: []orgtypes.Account{fakeAccount("111111111111", "A", "ACTIVE")},
			buckets: map[string][]*fakeBucket{"111111111111": {{name: "b", region: "us-east-1", ownership: "ObjectWriter",
				versions: []s3types.ObjectVersion{fakeVersion("mine", "111111111111", 1), fakeVersion("theirs", "333333333333", 1)}}}},
		}
		return w
	}
	w := newWorld()
	w.policyErr = denied
	res, err := scanFake(context.Background(), w, DefaultOptions(), &memorySink{})
	if err != nil {
		t.Fatal(err)
	}
	b := res.Buckets[0]
	if res.Complete || b.Status != BucketFailed || !strings.HasPrefix(b.Error, "GetBucketPolicy: AccessDenied") ||
		b.Readiness == nil || b.Readiness.Verdict != VerdictUnknown || b.Readiness.Blockers[0].Kind != BlockerReadFailed {
		t.Errorf("denied GetBucketPolicy: complete %v, bucket %+v", res.Complete, b)
	}

	w = newWorld()
	w.objectACL = func(in *s3.GetObjectAclInput) (*s3.GetObjectAclOutput, error) {
		if aws.ToString(in.Key) == "theirs" {
			return nil, denied
		}
		return &s3.GetObjectAclOutput{}, nil
	}
	res, err = scanFake(context.Background(), w, DefaultOptions(), &memorySink{})
	if err != nil {
		t.Fatal(err)
	}
	b = res.Buckets[0]
	if !res.Complete || b.Readiness.Verdict != VerdictReady || b.Readiness.ObjectACLSample.Denied != 1 || b.Readiness.ObjectACLSample.Read != 1 {
		t.Errorf("another account's object denying its ACL: complete %v, readiness %+v", res.Complete, b.Readiness)
	}

	w = newWorld()
	w.objectACL = func(*s3.GetObjectAclInput) (*s3.GetObjectAclOutput, error) { return nil, denied }
	res, _ = scanFake(context.Background(), w, DefaultOptions(), &memorySink{})
	b = res.Buckets[0]
	if res.Complete || b.Status != BucketFailed || !strings.HasPrefix(b.Error, "GetObjectAcl: AccessDenied") || b.Readiness.Verdict != VerdictUnknown {
		t.Errorf("the bucket owner's own object denying its ACL is a failed read: complete %v, bucket %+v", res.Complete, b)
	}
}

// TestServiceGrantees: grants to AWS services' canonical IDs are named,
// CloudFront's by partition, and never taken for an outsider to migrate.
func TestServiceGrantees(t *testing.T) {
	cases := []struct {
		id, partition string
		want          GranteeKind
	}{
		{cloudFrontLogDeliveryID, "aws", GranteeCloudFrontLogs},
		{cloudFrontLogDeliveryID, "aws-us-gov", GranteeCloudFrontLogs},
		{cloudFrontLogDeliveryIDCN, "aws-cn", GranteeCloudFrontLogs},
		{cloudFrontLogDeliveryIDCN, "aws", ""}, // another partition's ID is just a canonical ID here
		{cloudFrontLogDeliveryID, "aws-cn", ""},
		{elastiCacheExportID, "aws", GranteeElastiCache},
	}
	for _, c := range cases {
		if got := classifyCloudFront(rawGrant{canonicalID: c.id, permission: "FULL_CONTROL"}, c.partition); got.kind != c.want {
			t.Errorf("%s in %s: kind %q, want %q", c.id[:8], c.partition, got.kind, c.want)
		}
	}
	b := Bucket{Name: "b", AccountID: "111111111111", Region: "eu-west-1", Status: BucketNoncompliant, ObjectOwnership: OwnershipObjectWriter,
		ACLGrants: []Grant{{Kind: GranteeElastiCache, CanonicalID: elastiCacheExportID, Permission: "WRITE"}}}
	rd := assessReadiness(b, &readinessFacts{policyRead: true}, "aws", func(g rawGrant) Grant {
		return resolveGrant(g, func(string) (memberRef, bool) { return memberRef{}, false }, membership{})
	})
	if rd.Verdict != VerdictBlocked || rd.MigrationPolicy != "" || !strings.Contains(rd.Blockers[0].Fix, "eu-west-1.elasticache-snapshot.amazonaws.com") {
		t.Errorf("ElastiCache export grant: %+v", rd)
	}
}
