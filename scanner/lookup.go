package scanner

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/sync/errgroup"
)

// ownerLookupConcurrency bounds the out-of-scope accounts looked up at once.
const ownerLookupConcurrency = 16

// lookupOutsideOwners reads the canonical IDs of active member accounts the
// scan does not cover, so that objects and grants of theirs resolve to them
// instead of "external" (see ownerDirectory). One AssumeRole (unless the
// account is scanned with the caller's own credentials) and one ListBuckets
// with MaxBuckets 1 each; none for an account whose canonical ID an earlier
// run gave. A failure leaves that account's canonical ID unknown: it is
// then a candidate of every owner that matches no member.
func (r *run) lookupOutsideOwners(ctx context.Context) {
	r.outside.mu.Lock()
	candidates := append([]orgAccount(nil), r.outside.list...)
	r.outside.mu.Unlock()
	if len(candidates) == 0 {
		return
	}
	r.log.Info("resolving owners outside the scan's scope", "accounts", len(candidates))
	var g errgroup.Group
	g.SetLimit(ownerLookupConcurrency)
	for _, a := range candidates {
		if r.dir.knowsAccount(a.ID) {
			continue
		}
		g.Go(func() error {
			pctx := withPriority(ctx)
			creds, cache := r.credentialsFor(a.ID)
			if cache != nil {
				r.col.ownerLookups.Add(1)
				if err := retrieveNow(pctx, cache); err != nil {
					r.log.Debug("owner lookup: cannot assume role", "account", a.ID, "error", err)
					return nil
				}
			}
			r.col.ownerLookups.Add(1)
			out, err := r.clients.S3(a.ID, r.controlRegion, creds).ListBuckets(pctx, &s3.ListBucketsInput{MaxBuckets: aws.Int32(1)})
			if err != nil {
				r.log.Debug("owner lookup: cannot list buckets", "account", a.ID, "error", awsErrorText(err))
				return nil
			}
			if out.Owner != nil {
				r.dir.register(aws.ToString(out.Owner.ID), memberRef{ID: a.ID, Name: a.Name})
			}
			return nil
		})
	}
	g.Wait()
}
