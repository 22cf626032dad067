// Package fakeaws is a local AWS emulator for ownerscan's tests, benchmarks
// and demo: one http.Handler on loopback that speaks the real wire
// protocols, so that tests drive it with the real SDK clients over HTTP and
// never with mocks of the SDK.
//
// # What it speaks
//
//   - S3, REST-XML, path-style and virtual-host addressing
//     (https://docs.aws.amazon.com/AmazonS3/latest/API/Type_API_Reference.html):
//     ListBuckets (paged by MaxBuckets, with BucketRegion), HeadBucket,
//     GetBucketLocation, bucket and object ACLs, ownership controls,
//     versioning, policies, logging, encryption, ListObjectVersions and
//     ListObjectsV2, object reads and writes, multipart uploads.
//   - STS, Query protocol
//     (https://docs.aws.amazon.com/STS/latest/APIReference/welcome.html):
//     GetCallerIdentity and AssumeRole, with AssumeRole's session limits and
//     role chaining.
//   - Organizations, JSON 1.1
//     (https://docs.aws.amazon.com/organizations/latest/APIReference/Welcome.html):
//     the listings and descriptions ownerscan reads, paged by MaxResults
//     (at most 20) and opaque NextTokens, and the delegated administrator.
//
// # Request pipeline
//
// Emulator.ServeHTTP classifies and counts each call, then authenticates it
// (SigV4 is verified; the service and region come from the credential
// scope; an access key maps to a principal in one account), injects the
// scenario's faults (latency and jitter, throttling at a rate or in bursts,
// denials, connection resets before or after the call took effect, empty
// pages, versions without Owner), and dispatches to S3, STS or
// Organizations. Every 403 it answers is recorded, for Minimum.
//
// # What it models, because AWS behaves so
//
//   - Access is denied unless granted. A principal may call only the IAM
//     actions its scenario entry gives it; an account's own principals are
//     not allowed into S3 by being in the account. Bucket policies (Allow,
//     Deny, Principal, Condition on s3:x-amz-acl and similar keys) and ACL
//     grants are evaluated as S3 does for the operations modelled; IAM
//     resources and conditions are not.
//   - Object Ownership
//     (https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html):
//     under ObjectWriter or no setting, the writer owns the object; under
//     BucketOwnerPreferred, bucket-owner-full-control hands it over; under
//     BucketOwnerEnforced, ACLs are disabled, a write carrying any ACL but
//     the bucket owner's is refused, and the switch itself is refused while
//     the bucket ACL grants anyone but the owner.
//   - Partitions (aws, aws-cn, aws-us-gov): ARNs and Organizations' home
//     region follow the scenario's partition; Organizations answers only
//     requests signed for that home region, and an account's keys work only
//     in the regions it has (an opt-in region it has not enabled refuses
//     them).
//   - Regions: a request to a bucket signed for the wrong region is a 301
//     PermanentRedirect, except GetBucketLocation; HeadBucket names the
//     bucket's region even when it denies.
//   - Listings are exact and paged as S3 pages them: key order, newest
//     version first within a key, markers, encoding-type=url.
//
// # Ground truth
//
// The emulator can say what it holds without being listed (Buckets) and
// what a scan of it must cost at least (Minimum: calls
// per operation and the critical path, computed from the accounts, buckets,
// versions and refusals it holds, never from what a client recorded of
// itself). ownerscan's --stats compares a run against that minimum, and the
// POST /_fakeaws/minimum endpoint serves it to a scan in another process.
//
// # Where it deviates
//
//   - Generated scenarios (Generate, key shapes) hold millions of versions
//     computed on demand rather than stored; they answer like stored ones.
//   - Eventual consistency is not modelled: a write is visible at once.
//   - moto is an independent emulator used to check this one. Where moto
//     knowingly differs from AWS (moto_divergence_test.go lists each case:
//     ListBuckets paging, canonical IDs, the enforced switch with public
//     grants, cross-region redirects, signature checks, member accounts
//     calling Organizations, and more), fakeaws gives AWS's answer and the
//     differential tests leave the case out.
//
// A Scenario (YAML, see ParseScenario) describes the organization;
// BuiltinScenario is the demo's. Server runs an Emulator on a loopback
// address.
package fakeaws
