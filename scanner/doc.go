// Package scanner is the ownerscan engine: it walks an AWS Organization,
// reaches each member account through a role, checks every bucket's Object
// Ownership, bucket ACL, bucket policy and (for buckets not enforced) the
// owner of every object version, and returns a deterministic Result: every
// account in scope and every bucket found has a row with a status, and
// nothing that failed is left out or reads as empty.
//
// # What is checked, per bucket
//
//  1. GetBucketOwnershipControls. BucketOwnerEnforced is compliant and
//     needs no listing: S3 reports the bucket owner as the owner of every
//     object and version. ObjectWriter, BucketOwnerPreferred, or
//     OwnershipControlsNotFoundError (reported NotSet, which behaves as
//     ObjectWriter) raise ACLS_ENABLED
//     (https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html).
//  2. For a bucket not enforced, GetBucketAcl: its Owner.ID is the bucket
//     owner's canonical ID; every grant to anyone else raises
//     BUCKET_ACL_GRANT, and S3 refuses BucketOwnerEnforced while one exists
//     (InvalidBucketAclWithObjectOwnership,
//     https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-ownership-error-responses.html).
//  3. With objects.mode full, every version and delete marker through
//     ListObjectVersions, which carries Owner whether or not the bucket is
//     versioned. Owners other than the bucket owner raise
//     CROSS_ACCOUNT_OBJECTS; versions listed without Owner raise
//     OWNER_UNKNOWN and are never counted as the bucket owner's.
//  4. With readiness on, GetBucketPolicy and a deterministic sample of
//     GetObjectAcl (readiness*.go): a verdict (ready, migrate, blocked,
//     unknown), the blockers with their fixes, and the bucket policy that
//     replaces the ACL grants (README "Readiness").
//
// Anything that fails (a denied AssumeRole or read, throttling past the
// retries, an answer that is not the document the operation returns, an
// interruption) fails that account or bucket with the AWS error code and
// raises SCAN_ERROR, which makes the result incomplete.
//
// # Reaching accounts
//
// GetCallerIdentity goes first and alone: its ARN names the partition (aws,
// aws-cn, aws-us-gov; internal/awspartition), and every other request goes
// to that partition: Organizations to its home region, STS and ListBuckets
// to a region every account has, each bucket's calls to the bucket's region
// (ListBuckets with MaxBuckets set returns BucketRegion; HeadBucket's
// x-amz-bucket-region, or the region an IllegalLocationConstraintException
// names, otherwise). Each member account is scanned through its member role
// (AssumeRole, sessions cached and refreshed before they expire); only the
// management account scanned with its own credentials (no organization
// role) and the organization role's own account are not (accountRoute).
//
// # Owner identity
//
// A canonical ID resolves to the member account whose ListBuckets Owner.ID
// it is (ownerDirectory). It is external only when it can be nothing else:
// every member's canonical ID is known (from this scan or
// Options.KnownCanonicalIDs) and the organization was listed whole;
// otherwise it is unidentified, with the candidate members named
// (identity.go). Members outside the scope are looked up, once, only when
// an owner needs it (lookup.go).
//
// # Concurrency and memory
//
// One budget (Options.Concurrency) bounds the API requests in flight: every
// HTTP attempt of every client holds a slot (budget.go). Above it,
// goroutines are bounded so memory depends on concurrency and the number of
// buckets, never on the number of objects:
//   - accounts in flight (accountsInFlight): role assumption and ListBuckets;
//   - bucket workers (bucketWorkers): one shared pool taking bucket tasks of
//     every account from one FIFO queue, so a huge account or bucket never
//     holds the others back;
//   - one collector goroutine receives account rows, bucket results and
//     object records over a channel and alone writes to the ObjectSink and
//     the result; there is no shared mutable slice.
//
// Big buckets are listed as disjoint key ranges in parallel with a fast
// page decoder (scanner/versionlist); every answer's body is bounded and
// checked before it is believed (guard_*.go).
//
// # Calls
//
// A scan makes the minimum of the model in the README's "--stats" section:
// an enforced bucket costs one call, regions come with ListBuckets, the OU
// tree is walked only when a filter names an OU or the root (so without one
// Account.OUPath stays ""). Result.Calls is the scan's own count of that
// model; internal/fakeaws computes the same figure independently from the
// emulator's contents, and the tests hold the scan to it.
package scanner
