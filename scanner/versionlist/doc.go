// Package versionlist lists the object versions of one S3 bucket fast and
// exactly.
//
// Decoding. ListObjectVersions
// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectVersions.html)
// pages are decoded by a streaming decoder that replaces the SDK's
// deserializer step while keeping the SDK's signing, retries, endpoint
// resolution and every middleware around it. The swap is guarded: if the
// SDK's deserializer step is no longer where this package expects it, the
// listing keeps the SDK's own decoder and logs one warning (swapguard.go),
// and a test fails loudly. Page bodies are bounded, and a page that is not
// a ListVersionsResult document is an error, never an empty page.
//
// Splitting. A bucket whose first pages are truncated is split into
// disjoint key ranges (markers between keys) that are listed concurrently,
// using only request slots nobody else waits for; a bucket of up to
// Options.SerialPages pages costs exactly its pages. Stats says what the
// split cost in calls.
//
// Exactness is the contract: every version and delete marker of the bucket
// is handed to the caller exactly once (ListAll), whatever the split; a
// listing whose markers do not advance is an error, never a loop. Keys and
// markers come back URL-encoded (encoding-type=url) and are decoded here:
// the SDK does not decode them.
package versionlist
