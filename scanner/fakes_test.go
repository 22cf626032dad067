package scanner

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
)

// fakeWorld is a tiny in-memory organization behind function-field fakes of
// the scanner's own interfaces, for unit tests of the engine's logic (the
// end-to-end tests use the emulator through the real SDK).
type fakeWorld struct {
	caller   string
	accounts []orgtypes.Account
	buckets  map[string][]*fakeBucket // by account
	denied   map[string]bool          // accounts whose AssumeRole is denied

	// beforeListBuckets, if set, runs before an account's ListBuckets answers.
	beforeListBuckets func(ctx context.Context, account string)
	// beforeListVersions, if set, runs before a ListObjectVersions answers.
	beforeListVersions func(ctx context.Context, bucket string)
	// policyErr, if set, is every GetBucketPolicy's answer; objectACL, if
	// set, answers GetObjectAcl (else an ACL with no grants).
	policyErr error
	objectACL func(*s3.GetObjectAclInput) (*s3.GetObjectAclOutput, error)

	mu    sync.Mutex
	calls map[string]int
}

type fakeBucket struct {
	name, region string
	ownership    string // "" = not found
	grants       []s3types.Grant
	versions     []s3types.ObjectVersion
	policy       *string // nil: NoSuchBucketPolicy
}

func canon(acct string) string { return "canon-" + acct }

func (w *fakeWorld) count(op string) {
	w.mu.Lock()
	if w.calls == nil {
		w.calls = map[string]int{}
	}
	w.calls[op]++
	w.mu.Unlock()
}

func (w *fakeWorld) STS(_ string, creds aws.CredentialsProvider) STSAPI {
	return fakeSTS{
		getCallerIdentity: func(context.Context) (*sts.GetCallerIdentityOutput, error) {
			w.count("GetCallerIdentity")
			return &sts.GetCallerIdentityOutput{Account: aws.String(w.caller), Arn: aws.String("arn:aws:iam::" + w.caller + ":user/me")}, nil
		},
		assumeRole: func(_ context.Context, in *sts.AssumeRoleInput) (*sts.AssumeRoleOutput, error) {
			w.count("AssumeRole")
			acct := accountOfARN(aws.ToString(in.RoleArn))
			if w.denied[acct] {
				return nil, &smithy.GenericAPIError{Code: "AccessDenied", Message: "not authorized to assume " + aws.ToString(in.RoleArn)}
			}
			return &sts.AssumeRoleOutput{
				Credentials:     &types.Credentials{AccessKeyId: aws.String("ASIA" + acct), SecretAccessKey: aws.String("s"), SessionToken: aws.String("t"), Expiration: aws.Time(farFuture)},
				AssumedRoleUser: &types.AssumedRoleUser{Arn: aws.String("arn:aws:sts::" + acct + ":assumed-role/r/s")},
			}, nil
		},
	}
}

func (w *fakeWorld) Organizations(string, aws.CredentialsProvider) OrganizationsAPI {
	return fakeOrg{
		describe: func() (*organizations.DescribeOrganizationOutput, error) {
			w.count("DescribeOrganization")
			return &organizations.DescribeOrganizationOutput{Organization: &orgtypes.Organization{Id: aws.String("o-test"), MasterAccountId: aws.String(w.caller)}}, nil
		},
		listAccounts: func(in *organizations.ListAccountsInput) (*organizations.ListAccountsOutput, error) {
			w.count("ListAccounts")
			start, _ := strconv.Atoi(aws.ToString(in.NextToken))
			end := min(start+int(aws.ToInt32(in.MaxResults)), len(w.accounts))
			out := &organizations.ListAccountsOutput{Accounts: w.accounts[start:end]}
			if end < len(w.accounts) {
				out.NextToken = aws.String(strconv.Itoa(end))
			}
			return out, nil
		},
	}
}

func (w *fakeWorld) S3(accountID, region string, _ aws.CredentialsProvider) S3API {
	find := func(name string) (*fakeBucket, error) {
		for _, b := range w.buckets[accountID] {
			if b.name == name {
				return b, nil
			}
		}
		return nil, &smithy.GenericAPIError{Code: "NoSuchBucket"}
	}
	return fakeS3{
		listBuckets: func(ctx context.Context, in *s3.ListBucketsInput) (*s3.ListBucketsOutput, error) {
			w.count("ListBuckets")
			if w.beforeListBuckets != nil {
				w.beforeListBuckets(ctx, accountID)
			}
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			out := &s3.ListBucketsOutput{Owner: &s3types.Owner{ID: aws.String(canon(accountID))}}
			for _, b := range w.buckets[accountID] {
				out.Buckets = append(out.Buckets, s3types.Bucket{Name: aws.String(b.name), BucketRegion: aws.String(b.region)})
			}
			return out, nil
		},
		getOwnership: func(name string) (*s3.GetBucketOwnershipControlsOutput, error) {
			w.count("GetBucketOwnershipControls")
			b, err := find(name)
			if err != nil {
				return nil, err
			}
			if b.ownership == "" {
				return nil, &smithy.GenericAPIError{Code: "OwnershipControlsNotFoundError"}
			}
			return &s3.GetBucketOwnershipControlsOutput{OwnershipControls: &s3types.OwnershipControls{Rules: []s3types.OwnershipControlsRule{{ObjectOwnership: s3types.ObjectOwnership(b.ownership)}}}}, nil
		},
		getACL: func(name string) (*s3.GetBucketAclOutput, error) {
			w.count("GetBucketAcl")
			b, err := find(name)
			if err != nil {
				return nil, err
			}
			owner := canon(accountID)
			grants := append([]s3types.Grant{{Grantee: &s3types.Grantee{ID: aws.String(owner), Type: s3types.TypeCanonicalUser}, Permission: s3types.PermissionFullControl}}, b.grants...)
			return &s3.GetBucketAclOutput{Owner: &s3types.Owner{ID: aws.String(owner)}, Grants: grants}, nil
		},
		getPolicy: func(name string) (*s3.GetBucketPolicyOutput, error) {
			w.count("GetBucketPolicy")
			if w.policyErr != nil {
				return nil, w.policyErr
			}
			b, err := find(name)
			if err != nil {
				return nil, err
			}
			if b.policy == nil {
				return nil, &smithy.GenericAPIError{Code: "NoSuchBucketPolicy"}
			}
			return &s3.GetBucketPolicyOutput{Policy: b.policy}, nil
		},
		getObjectACL: func(in *s3.GetObjectAclInput) (*s3.GetObjectAclOutput, error) {
			w.count("GetObjectAcl")
			if w.objectACL != nil {
				return w.objectACL(in)
			}
			return &s3.GetObjectAclOutput{}, nil
		},
		listVersions: func(ctx context.Context, in *s3.ListObjectVersionsInput) (*s3.ListObjectVersionsOutput, error) {
			w.count("ListObjectVersions")
			if w.beforeListVersions != nil {
				w.beforeListVersions(ctx, aws.ToString(in.Bucket))
			}
			b, err := find(aws.ToString(in.Bucket))
			if err != nil {
				return nil, err
			}
			vs := append([]s3types.ObjectVersion(nil), b.versions...)
			sort.SliceStable(vs, func(i, j int) bool { return aws.ToString(vs[i].Key) < aws.ToString(vs[j].Key) })
			start, _ := strconv.Atoi(aws.ToString(in.VersionIdMarker))
			end := min(start+int(aws.ToInt32(in.MaxKeys)), len(vs))
			out := &s3.ListObjectVersionsOutput{Versions: vs[start:end], IsTruncated: aws.Bool(end < len(vs))}
			if end < len(vs) {
				out.NextKeyMarker = vs[end-1].Key
				out.NextVersionIdMarker = aws.String(strconv.Itoa(end))
			}
			return out, nil
		},
	}
}

type fakeSTS struct {
	getCallerIdentity func(context.Context) (*sts.GetCallerIdentityOutput, error)
	assumeRole        func(context.Context, *sts.AssumeRoleInput) (*sts.AssumeRoleOutput, error)
}

func (f fakeSTS) GetCallerIdentity(ctx context.Context, _ *sts.GetCallerIdentityInput, _ ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	return f.getCallerIdentity(ctx)
}
func (f fakeSTS) AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, _ ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	return f.assumeRole(ctx, in)
}

type fakeOrg struct {
	describe     func() (*organizations.DescribeOrganizationOutput, error)
	listAccounts func(*organizations.ListAccountsInput) (*organizations.ListAccountsOutput, error)
}

func (f fakeOrg) DescribeOrganization(context.Context, *organizations.DescribeOrganizationInput, ...func(*organizations.Options)) (*organizations.DescribeOrganizationOutput, error) {
	return f.describe()
}
func (f fakeOrg) ListAccounts(_ context.Context, in *organizations.ListAccountsInput, _ ...func(*organizations.Options)) (*organizations.ListAccountsOutput, error) {
	return f.listAccounts(in)
}
func (fakeOrg) ListRoots(context.Context, *organizations.ListRootsInput, ...func(*organizations.Options)) (*organizations.ListRootsOutput, error) {
	return nil, fmt.Errorf("fake: no OU tree")
}
func (fakeOrg) ListOrganizationalUnitsForParent(context.Context, *organizations.ListOrganizationalUnitsForParentInput, ...func(*organizations.Options)) (*organizations.ListOrganizationalUnitsForParentOutput, error) {
	return nil, fmt.Errorf("fake: no OU tree")
}
func (fakeOrg) ListAccountsForParent(context.Context, *organizations.ListAccountsForParentInput, ...func(*organizations.Options)) (*organizations.ListAccountsForParentOutput, error) {
	return nil, fmt.Errorf("fake: no OU tree")
}

type fakeS3 struct {
	listBuckets  func(context.Context, *s3.ListBucketsInput) (*s3.ListBucketsOutput, error)
	getOwnership func(string) (*s3.GetBucketOwnershipControlsOutput, error)
	getACL       func(string) (*s3.GetBucketAclOutput, error)
	listVersions func(context.Context, *s3.ListObjectVersionsInput) (*s3.ListObjectVersionsOutput, error)
	getPolicy    func(string) (*s3.GetBucketPolicyOutput, error)             // nil: NoSuchBucketPolicy
	getObjectACL func(*s3.GetObjectAclInput) (*s3.GetObjectAclOutput, error) // nil: the object's owner is the listing's
}

func (f fakeS3) ListBuckets(ctx context.Context, in *s3.ListBucketsInput, _ ...func(*s3.Options)) (*s3.ListBucketsOutput, error) {
	return f.listBuckets(ctx, in)
}
func (fakeS3) HeadBucket(context.Context, *s3.HeadBucketInput, ...func(*s3.Options)) (*s3.HeadBucketOutput, error) {
	return &s3.HeadBucketOutput{BucketRegion: aws.String("EU")}, nil
}
func (f fakeS3) GetBucketOwnershipControls(_ context.Context, in *s3.GetBucketOwnershipControlsInput, _ ...func(*s3.Options)) (*s3.GetBucketOwnershipControlsOutput, error) {
	return f.getOwnership(aws.ToString(in.Bucket))
}
func (f fakeS3) GetBucketAcl(_ context.Context, in *s3.GetBucketAclInput, _ ...func(*s3.Options)) (*s3.GetBucketAclOutput, error) {
	return f.getACL(aws.ToString(in.Bucket))
}
func (f fakeS3) ListObjectVersions(ctx context.Context, in *s3.ListObjectVersionsInput, _ ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error) {
	return f.listVersions(ctx, in)
}

func (f fakeS3) GetBucketPolicy(_ context.Context, in *s3.GetBucketPolicyInput, _ ...func(*s3.Options)) (*s3.GetBucketPolicyOutput, error) {
	if f.getPolicy == nil {
		return nil, &smithy.GenericAPIError{Code: "NoSuchBucketPolicy", Message: "The bucket policy does not exist"}
	}
	return f.getPolicy(aws.ToString(in.Bucket))
}
func (f fakeS3) GetObjectAcl(_ context.Context, in *s3.GetObjectAclInput, _ ...func(*s3.Options)) (*s3.GetObjectAclOutput, error) {
	if f.getObjectACL == nil {
		return &s3.GetObjectAclOutput{}, nil
	}
	return f.getObjectACL(in)
}

// memorySink collects object records.
type memorySink struct{ records []ObjectRecord }

func (m *memorySink) WriteObject(r ObjectRecord) error { m.records = append(m.records, r); return nil }

func fakeAccount(id, name, state string) orgtypes.Account {
	return orgtypes.Account{Id: aws.String(id), Name: aws.String(name), State: orgtypes.AccountState(state)}
}

func fakeVersion(key, ownerAcct string, size int64) s3types.ObjectVersion {
	return s3types.ObjectVersion{Key: aws.String(key), VersionId: aws.String("v-" + key), IsLatest: aws.Bool(true),
		Owner: &s3types.Owner{ID: aws.String(canon(ownerAcct))}, Size: aws.Int64(size)}
}

// scanFake scans w with opts through the fakes.
func scanFake(ctx context.Context, w *fakeWorld, opts Options, sink ObjectSink) (*Result, error) {
	s := newScanner(opts, slog.New(slog.DiscardHandler), func() (clientFactory, *budget) {
		return w, newBudget(opts.Concurrency)
	})
	return s.Scan(ctx, sink, nil)
}

func keysOf(rs []ObjectRecord) string {
	var ks []string
	for _, r := range rs {
		ks = append(ks, r.Key+"="+r.OwnerAccountID)
	}
	sort.Strings(ks)
	return strings.Join(ks, ",")
}
