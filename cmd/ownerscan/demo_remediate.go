package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"text/tabwriter"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ownerscan/ownerscan/internal/fakeaws"
	"github.com/ownerscan/ownerscan/report"
	"github.com/ownerscan/ownerscan/scanner"
)

// The story `demo --remediate` tells (README "Why"): a principal of the
// bucket's own account cannot read an object another account wrote into
// it, until the bucket is enforced.
const (
	storyAccount = "222222222222" // AccountB, the bucket's owner
	storyBucket  = "our-shared-widgets"
	storyKey     = "widgets/from-c/batch-001.csv" // written by AccountC
)

// remediateDemo goes on from the demo's scan (before, its reports in
// setup.outDir): it plans from it, applies the plan with --migrate-acls
// through the remediation role, scans again into setup.outDir/after, and
// shows AccountB's GetObject of AccountC's object failing before and
// working after, with the two scans side by side.
func (a *app) remediateDemo(ctx context.Context, srv *fakeaws.Server, awsCfg aws.Config, cfg *Config, setup *scanSetup, before *scanner.Result) error {
	out := a.stdout
	getBefore := storyGet(ctx, srv)
	fmt.Fprintf(out, "\n== Fixing buckets: plan, apply --migrate-acls --yes, scan again ==\n\n")
	planPath := filepath.Join(setup.outDir, "plan.json")
	if _, err := a.makePlan(report.SnapshotOf(before), "scan", planPath); err != nil && !errors.Is(err, errIncomplete) {
		return err
	}
	fmt.Fprintln(out)
	applyErr := a.apply(ctx, awsCfg, cfg, &applyFlags{plan: planPath, migrateACLs: true, yes: true}, setup.logger)
	if applyErr != nil && !errors.Is(applyErr, errRemediationIncomplete) {
		return applyErr
	}
	getAfter := storyGet(ctx, srv)

	fmt.Fprintf(out, "\n== Scanning again ==\n\n")
	again := *setup
	again.outDir = filepath.Join(setup.outDir, "after")
	if err := report.EnsureDir(again.outDir); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	after, _, scanErr := a.executeScan(ctx, awsCfg, &again)
	if after == nil {
		return scanErr
	}
	if err := printBeforeAfter(out, before, after, getBefore, getAfter, planPath); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	switch {
	case applyErr != nil:
		return applyErr
	case getBefore != "403 AccessDenied" || getAfter != "200 OK":
		return fmt.Errorf("%w: the story did not hold: AccountB's GetObject of AccountC's object was %s before and %s after, want 403 AccessDenied then 200 OK",
			errRemediationIncomplete, getBefore, getAfter)
	}
	return a.demoVerdict(scanErr, after, &again)
}

// storyGet is AccountB's GetObject of AccountC's object, through the real
// SDK with AccountB's administrator's keys: "200 OK", "403 AccessDenied",
// or the error.
func storyGet(ctx context.Context, srv *fakeaws.Server) string {
	id, secret, _ := srv.Emulator.CredentialsFor(storyAccount)
	c := s3.NewFromConfig(aws.Config{Region: srv.Emulator.HomeRegion(), BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider(id, secret, "")}, func(o *s3.Options) { o.UsePathStyle = true })
	resp, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(storyBucket), Key: aws.String(storyKey)})
	if err != nil {
		if code := scanner.ErrorCode(err); code != "" {
			return fmt.Sprintf("%d %s", httpStatus(err), code)
		}
		return err.Error()
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err.Error()
	}
	return "200 OK"
}

// httpStatus is the HTTP status of an SDK error, 0 when it has none.
func httpStatus(err error) int {
	var withStatus interface{ HTTPStatusCode() int }
	if errors.As(err, &withStatus) {
		return withStatus.HTTPStatusCode()
	}
	return 0
}

// printBeforeAfter shows the two scans side by side, and the story.
func printBeforeAfter(w io.Writer, before, after *scanner.Result, getBefore, getAfter, planPath string) error {
	fmt.Fprintf(w, "\n== Before and after ==\n\n")
	fmt.Fprintf(w, "AccountB reads AccountC's %s in its own bucket %s:\n", storyKey, storyBucket)
	fmt.Fprintf(w, "  before: %s (AccountC owns the object; no policy of AccountB's can grant it)\n", getBefore)
	fmt.Fprintf(w, "  after:  %s (BucketOwnerEnforced: AccountB owns every object of its bucket)\n\n", getAfter)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\tBEFORE\tAFTER")
	fmt.Fprintf(tw, "buckets not enforced\t%d\t%d\n", before.Summary.BucketsNoncompliant, after.Summary.BucketsNoncompliant)
	fmt.Fprintf(tw, "cross-account objects\t%d\t%d\n", before.Summary.CrossAccountObjects, after.Summary.CrossAccountObjects)
	for _, t := range []scanner.FindingType{scanner.FindingACLsEnabled, scanner.FindingCrossAccountObjects, scanner.FindingBucketACLGrant, scanner.FindingOwnerUnknown, scanner.FindingScanError} {
		fmt.Fprintf(tw, "%s findings\t%d\t%d\n", t, countFindings(before, t), countFindings(after, t))
	}
	for _, v := range verdictOrder {
		fmt.Fprintf(tw, "readiness %s\t%d\t%d\n", v, before.Summary.Readiness[string(v)], after.Summary.Readiness[string(v)])
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\nThe blocked and unknown buckets are left as they were. Every change is in %s.journal;\n"+
		"against a real organization, `ownerscan rollback --journal %s.journal --yes` undoes it.\n", planPath, planPath)
	return err
}

func countFindings(res *scanner.Result, t scanner.FindingType) int {
	n := 0
	for _, f := range res.Findings {
		if f.Type == t {
			n++
		}
	}
	return n
}
