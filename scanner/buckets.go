package scanner

import (
	"context"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// accountOutcome is an account's row and its share of the call model.
type accountOutcome struct {
	row           Account
	page          int64 // ListAccounts page
	assumed       bool
	listedBuckets bool
	bucketsListed int64
}

// bucketJob is one bucket found by ListBuckets, waiting for a worker.
type bucketJob struct {
	account     memberRef
	canonicalID string // the account's, from ListBuckets
	creds       aws.CredentialsProvider
	name        string
	region      string // "" when ListBuckets gave none
}

// scanAccount assumes the member role, lists the account's buckets (every
// page, MaxBuckets set so BucketRegion comes back), registers its canonical
// ID and queues its buckets in scope.
func (r *run) scanAccount(ctx context.Context, a orgAccount, row Account) {
	out := &accountOutcome{row: row, page: int64(a.Page)}
	settled := false
	settle := func() {
		if !settled {
			settled = true
			r.dir.settle()
		}
	}
	defer func() {
		settle()
		r.progress.AccountsDone.Add(1)
		r.send(ctx, event{account: out})
	}()
	log := r.log.With("account", a.ID)
	if r.stopping(ctx) {
		out.row.Status, out.row.Error = AccountFailed, errNotScannedInterrupted
		return
	}
	pctx := withPriority(ctx)
	creds, cache := r.credentialsFor(a.ID)
	if cache != nil {
		out.assumed = true
		if err := retrieveNow(pctx, cache); err != nil {
			out.row.Status, out.row.Error = AccountFailed, err.Error()
			if ctx.Err() != nil {
				out.row.Error = errNotScannedInterrupted
			}
			log.Warn("cannot assume member role", "error", out.row.Error)
			return
		}
	}
	// After a stop, the next ListBuckets page is not asked for.
	// ListBuckets answers from any region of the partition: the control
	// region, which every account has.
	api := stoppableS3{r.clients.S3(a.ID, r.controlRegion, creds), r}
	out.listedBuckets = true
	var jobs []bucketJob
	listFailed := func(err error) {
		out.row.Status, out.row.Error = AccountFailed, "ListBuckets: "+awsErrorText(err)
		if msg := stoppedError(ctx, "ListBuckets", err); msg != "" {
			out.row.Error = msg
		}
		log.Warn("cannot list buckets", "error", out.row.Error)
	}
	// Every page, following ContinuationToken; a bucket listed again (a
	// server that does not advance) is taken once, and pages that stop
	// advancing fail the account (pageGuard).
	in := &s3.ListBucketsInput{MaxBuckets: aws.Int32(int32(r.listBucketsPage))}
	seen := map[string]struct{}{}
	var guard pageGuard
	for {
		page, err := api.ListBuckets(pctx, in)
		if err != nil {
			listFailed(err)
			return
		}
		if out.row.CanonicalID == "" && page.Owner != nil {
			out.row.CanonicalID = aws.ToString(page.Owner.ID)
		}
		fresh := false
		for _, b := range page.Buckets {
			name := aws.ToString(b.Name)
			if _, dup := seen[name]; dup {
				continue
			}
			seen[name], fresh = struct{}{}, true
			out.bucketsListed++
			r.scope.noteBucket(r.opts, name, aws.ToString(b.BucketRegion))
			if !bucketNameInScope(name, r.opts.BucketsInclude, r.opts.BucketsExclude) {
				continue
			}
			region := normalizeRegion(aws.ToString(b.BucketRegion), false)
			if region != "" && !r.part.Contains(region) {
				// Not a region of the caller's partition: the answer does
				// not place the bucket, so the region lookup does (and fails
				// the bucket if it cannot), rather than the allow list
				// dropping it.
				log.Warn("ListBuckets named no region of the partition for a bucket; looking it up", "bucket", name, "region", region)
				region = ""
			}
			if region != "" && !regionInScope(region, r.opts.Regions) {
				continue
			}
			jobs = append(jobs, bucketJob{name: name, region: region})
		}
		token := aws.ToString(page.ContinuationToken)
		if err := guard.next(token, fresh); err != nil {
			listFailed(err)
			return
		}
		if token == "" {
			break
		}
		in.ContinuationToken = page.ContinuationToken
	}
	ref := memberRef{ID: a.ID, Name: a.Name}
	r.dir.register(out.row.CanonicalID, ref)
	settle()
	out.row.Status = AccountScanned
	for i := range jobs {
		jobs[i].account, jobs[i].canonicalID, jobs[i].creds = ref, out.row.CanonicalID, creds
	}
	if len(jobs) > 0 {
		r.progress.BucketsFound.Add(int64(len(jobs)))
		r.queue.push(jobs)
	}
	log.Debug("account listed", "buckets", out.bucketsListed, "in_scope", len(jobs))
}

// normalizeRegion maps S3's legacy location values: "EU" is eu-west-1, and
// an empty value from a region lookup (fromLookup) is us-east-1. An empty
// value from ListBuckets stays "": the region is unknown.
func normalizeRegion(region string, fromLookup bool) string {
	switch region {
	case "EU":
		return "eu-west-1"
	case "":
		if fromLookup {
			return "us-east-1"
		}
	}
	return region
}

// bucketQueue is the FIFO of bucket tasks of every account. It is unbounded
// (its size grows with the number of buckets, never with objects) so that an
// account task never waits for bucket workers: the owner directory's
// completion depends only on account tasks, and workers that wait on the
// directory cannot deadlock the scan.
type bucketQueue struct {
	mu     sync.Mutex
	cond   *sync.Cond
	items  []bucketJob
	closed bool
}

func newBucketQueue() *bucketQueue {
	q := &bucketQueue{}
	q.cond = sync.NewCond(&q.mu)
	return q
}

func (q *bucketQueue) push(jobs []bucketJob) {
	q.mu.Lock()
	q.items = append(q.items, jobs...)
	q.mu.Unlock()
	q.cond.Broadcast()
}

// close says no more jobs will come; pop drains what is left first.
func (q *bucketQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.cond.Broadcast()
}

// pop waits for a job; ok=false once the queue is closed and empty.
func (q *bucketQueue) pop() (bucketJob, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.items) == 0 && !q.closed {
		q.cond.Wait()
	}
	if len(q.items) == 0 {
		return bucketJob{}, false
	}
	j := q.items[0]
	q.items[0] = bucketJob{}
	q.items = q.items[1:]
	return j, true
}

// bucketWorker runs bucket tasks until the queue is closed and drained.
// After ctx ends it still drains the queue, reporting each job as not
// scanned, so nothing found is dropped.
func (r *run) bucketWorker(ctx context.Context) {
	for {
		job, ok := r.queue.pop()
		if !ok {
			return
		}
		out := r.checkBucket(ctx, job)
		r.progress.BucketsDone.Add(1)
		r.send(ctx, event{bucket: out})
	}
}
