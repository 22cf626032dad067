package scanner

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// ownerStats aggregates one bucket's versions owned by one foreign owner.
type ownerStats struct {
	objects int64
	bytes   int64
	samples sampleKeys
}

// sampleKeys keeps the SampleKeyLimit smallest distinct keys it is offered,
// sorted: the same set whatever order the keys arrive in.
type sampleKeys []string

func (s *sampleKeys) offer(key string) {
	keys := *s
	i := sort.SearchStrings(keys, key)
	if i < len(keys) && keys[i] == key {
		return
	}
	if len(keys) >= SampleKeyLimit {
		if i >= SampleKeyLimit {
			return
		}
		keys = keys[:SampleKeyLimit-1]
	}
	keys = append(keys, "")
	copy(keys[i+1:], keys[i:])
	keys[i] = key
	*s = keys
}

// versionEntry is what the scan keeps of a version or delete marker.
type versionEntry struct {
	key, versionID string
	latest, marker bool
	owner          string
	size           int64
	lastModified   time.Time
}

// listVersions pages through every version and delete marker of a bucket
// (MaxKeys 1000, key-marker / version-id-marker), counting them, comparing
// each owner with the bucket owner, and streaming foreign-owned entries to
// the collector with their owner resolved. Objects.max_per_bucket stops the
// listing early: the scan is then "truncated" (only if more entries
// remained). Keys are requested URL-encoded (so any byte survives XML) and
// decoded when S3 says it encoded them.
func (r *run) listVersions(ctx context.Context, api S3API, job bucketJob, out *bucketOutcome) error {
	limit := r.opts.MaxObjectsPerBucket
	in := &s3.ListObjectVersionsInput{Bucket: aws.String(job.name), EncodingType: s3types.EncodingTypeUrl}
	var prevKey, prevVersion *string
	for {
		pageSize := int64(versionsPageSize)
		if limit > 0 {
			pageSize = min(pageSize, limit-out.row.ObjectsScanned)
		}
		in.MaxKeys = aws.Int32(int32(pageSize))
		page, err := api.ListObjectVersions(ctx, in)
		out.listPages++
		if err != nil {
			return err
		}
		encoded := page.EncodingType == s3types.EncodingTypeUrl
		for _, v := range page.Versions {
			r.countVersion(ctx, job, out, versionEntry{
				key: decodeKey(aws.ToString(v.Key), encoded), versionID: aws.ToString(v.VersionId),
				latest: aws.ToBool(v.IsLatest), owner: ownerID(v.Owner), size: aws.ToInt64(v.Size),
				lastModified: aws.ToTime(v.LastModified),
			})
		}
		for _, d := range page.DeleteMarkers {
			r.countVersion(ctx, job, out, versionEntry{
				key: decodeKey(aws.ToString(d.Key), encoded), versionID: aws.ToString(d.VersionId),
				latest: aws.ToBool(d.IsLatest), marker: true, owner: ownerID(d.Owner),
				lastModified: aws.ToTime(d.LastModified),
			})
		}
		r.progress.Objects.Add(int64(len(page.Versions) + len(page.DeleteMarkers)))
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !aws.ToBool(page.IsTruncated) {
			out.row.ObjectScan = ObjectScanComplete
			return nil
		}
		if limit > 0 && out.row.ObjectsScanned >= limit {
			out.row.ObjectScan = ObjectScanTruncated
			return nil
		}
		nextKey, nextVersion := page.NextKeyMarker, page.NextVersionIdMarker
		if nextKey == nil && nextVersion == nil {
			return fmt.Errorf("listing truncated without a next marker")
		}
		if nextKey != nil {
			nextKey = aws.String(decodeKey(*nextKey, encoded))
		}
		if aws.ToString(nextKey) == aws.ToString(prevKey) && aws.ToString(nextVersion) == aws.ToString(prevVersion) {
			return fmt.Errorf("listing repeats marker %q/%q", aws.ToString(nextKey), aws.ToString(nextVersion))
		}
		prevKey, prevVersion = nextKey, nextVersion
		in.KeyMarker, in.VersionIdMarker = nextKey, nextVersion
	}
}

func ownerID(o *s3types.Owner) string {
	if o == nil {
		return ""
	}
	return aws.ToString(o.ID)
}

// decodeKey undoes encoding-type=url; a key that does not decode is kept.
func decodeKey(key string, encoded bool) string {
	if !encoded {
		return key
	}
	if d, err := url.QueryUnescape(key); err == nil {
		return d
	}
	return key
}

// countVersion accounts for one entry. Entries owned by the bucket owner
// only count. Entries listed with no owner count as unknown-owner (never
// compliant) and are streamed with empty owner fields, so the objects file
// shows them. Foreign-owned entries are aggregated per owner and streamed.
func (r *run) countVersion(ctx context.Context, job bucketJob, out *bucketOutcome, v versionEntry) {
	out.row.ObjectsScanned++
	if v.owner == out.row.OwnerCanonicalID {
		return
	}
	rec := ObjectRecord{
		AccountID: job.account.ID, Bucket: job.name, Key: v.key, VersionID: v.versionID,
		IsLatest: v.latest, IsDeleteMarker: v.marker, OwnerCanonicalID: v.owner,
		Size: v.size, LastModified: v.lastModified,
	}
	if v.owner == "" {
		out.row.UnknownOwnerObjects++
	} else {
		out.row.CrossAccountObjects++
		out.row.CrossAccountBytes += v.size
		if out.owners == nil {
			out.owners = map[string]*ownerStats{}
		}
		st := out.owners[v.owner]
		if st == nil {
			st = &ownerStats{}
			out.owners[v.owner] = st
		}
		st.objects++
		st.bytes += v.size
		st.samples.offer(v.key)
		if m, ok, err := r.dir.resolve(ctx, v.owner); err == nil && ok {
			rec.OwnerAccountID, rec.OwnerAccountName = m.ID, m.Name
		}
	}
	r.send(ctx, event{object: &rec})
}
