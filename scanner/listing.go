package scanner

import (
	"context"
	"errors"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/ownerscan/ownerscan/scanner/versionlist"
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

// listVersions lists every version and delete marker of a bucket, counting
// them, comparing each owner with the bucket owner, and streaming
// foreign-owned entries to the collector with their owner resolved.
//
// The listing is versionlist.ListAll: pages are fast-decoded (the SDK's
// deserializer remains the fallback), and a bucket whose first page is
// truncated is split into disjoint key ranges listed concurrently, at most
// listParallelism requests at a time. Every request still goes through the
// SDK client, so it holds one slot of the scan's budget (budget.go) like
// any other call: ListAll's own Budget option is not used. A bucket of one
// page costs one call.
//
// Objects.max_per_bucket lists serially with MaxKeys cut to what the limit
// leaves, so the calls are those of the model (README "--stats"), and stops early: the
// scan is then "truncated" (only if more entries remained).
func (r *run) listVersions(ctx context.Context, api S3API, job bucketJob, out *bucketOutcome) error {
	return r.listVersionsAfter(ctx, api, job, out, nil)
}

// listVersionsAfter is listVersions for a listing that starts before the
// bucket owner is known (a GetBucketAcl still in flight: the two requests
// do not depend on each other, so one round trip leaves a bucket's
// critical path). ready, when not nil, is called once before the first
// entry is counted; it must make out.row.OwnerCanonicalID final, and an
// error from it stops the listing and is returned as is.
func (r *run) listVersionsAfter(ctx context.Context, api S3API, job bucketJob, out *bucketOutcome, ready func() error) error {
	opts := versionlist.Options{
		Parallelism: r.listParallelism(),
		MaxKeys:     versionsPageSize,
		SerialPages: serialListPages,
		Spare:       r.budget.spare,
		MaxVersions: r.opts.MaxObjectsPerBucket,
		Logger:      r.log,
		SDKDecoder:  sdkDecoderForced(),
	}
	if opts.MaxVersions > 0 {
		opts.Parallelism = 1
	}
	var readyErr error
	st, err := versionlist.ListAllStats(ctx, api, job.name, opts, func(p *versionlist.Page) error {
		if ready != nil {
			readyErr, ready = ready(), nil
			if readyErr != nil {
				return readyErr
			}
		}
		for i := range p.Entries {
			e := &p.Entries[i]
			r.countVersion(ctx, job, out, versionEntry{
				key: e.Key, versionID: e.VersionID, latest: e.IsLatest, marker: e.IsDeleteMarker,
				owner: e.OwnerID, size: e.Size, lastModified: e.LastModified,
			})
		}
		r.progress.Objects.Add(int64(len(p.Entries)))
		return ctx.Err()
	})
	out.listPages = st.Calls
	switch {
	case readyErr != nil:
		return readyErr
	case err == nil:
		out.row.ObjectScan = ObjectScanComplete
		return nil
	case errors.Is(err, versionlist.ErrMaxVersions):
		out.row.ObjectScan = ObjectScanTruncated
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	}
	return err
}

// sdkDecoderEnv, set to 1, makes listings decode every page, and S3 clients
// every ACL answer, with the SDK's own deserializer instead of the fast
// decoders: a diagnostic switch for measuring the difference
// (cmd/ownerscan/testdata/perf), not a setting.
const sdkDecoderEnv = "OWNERSCAN_SDK_DECODER"

// sdkDecoderForced reads sdkDecoderEnv once per process.
var sdkDecoderForced = sync.OnceValue(func() bool { return os.Getenv(sdkDecoderEnv) == "1" })

// serialListPages is how many pages a listing reads serially before it
// splits the bucket: a bucket of up to this many pages costs exactly its
// pages (the minimum); a larger one pays a few extra calls to be
// listed in parallel (versionlist.Stats).
const serialListPages = 3

// listParallelism is how many requests one bucket's listing may have in
// flight: the whole budget. A listing splits only into spare slots (free,
// with nobody waiting: versionlist.Options.Spare), and every next page of
// its ranges queues for its slot behind the calls already waiting
// (budget.go's FIFO), so one huge bucket uses idle capacity without
// starving the others. Half the budget left a bucket of a million versions
// latency-bound at 32 requests in flight.
func (r *run) listParallelism() int {
	return max(1, r.opts.Concurrency)
}

// countVersion accounts for one entry. Entries listed with no owner count
// as unknown-owner (never as the bucket owner's, whatever the bucket
// owner's ID) and are streamed with empty owner fields, so the objects file
// shows them. Entries owned by the bucket owner only count. Foreign-owned
// entries are aggregated per owner and streamed.
func (r *run) countVersion(ctx context.Context, job bucketJob, out *bucketOutcome, v versionEntry) {
	out.row.ObjectsScanned++
	if out.ready != nil {
		out.ready.offer(v)
	}
	if v.owner != "" && v.owner == out.row.OwnerCanonicalID {
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
