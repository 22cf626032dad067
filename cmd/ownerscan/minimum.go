package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/ownerscan/ownerscan/internal/fakeaws"
	"github.com/ownerscan/ownerscan/scanner"
)

// Where a stats line's min_calls comes from.
const (
	// minFromEmulator: the emulator computed it from its own contents
	// (fakeaws.Emulator.Minimum), independently of what the scan did.
	minFromEmulator = "emulator"
	// minFromScan: the scan's own count of what it needed. Against AWS
	// there is no ground truth to hold the scan to: this figure can only
	// say what the scan believes, never prove it minimal.
	minFromScan = "scan"
)

// scanShape describes a scan with opts, started by the account caller (or
// the access key callerKey), to the emulator's Minimum.
func scanShape(opts scanner.Options, caller, callerKey string) fakeaws.ScanShape {
	shape := fakeaws.ScanShape{
		Caller:                   caller,
		CallerAccessKeyID:        callerKey,
		AccountsInclude:          opts.AccountsInclude,
		AccountsExclude:          opts.AccountsExclude,
		IncludeManagementAccount: opts.IncludeManagementAccount,
		BucketsInclude:           opts.BucketsInclude,
		BucketsExclude:           opts.BucketsExclude,
		Regions:                  opts.Regions,
		KnownCanonicalIDs:        opts.KnownCanonicalIDs,
		ListObjects:              opts.ObjectsMode == scanner.ObjectsModeFull,
		MaxObjectsPerBucket:      opts.MaxObjectsPerBucket,
		Readiness:                opts.Readiness.Enabled,
		ObjectACLSample:          opts.Readiness.ObjectACLSample,
		Concurrency:              opts.Concurrency,
	}
	if arn := opts.OrganizationRoleARN; arn != "" {
		// arn:PARTITION:iam::ACCOUNT:role/NAME
		if parts := strings.SplitN(arn, ":", 6); len(parts) == 6 {
			shape.OrganizationRoleAccount = parts[4]
		}
	}
	return shape
}

// emulatorMinimum asks the emulator at endpoint (POST
// /_fakeaws/minimum, unsigned) for the minimum of shape, for `scan --stats`
// against `ownerscan emulate`. ok is false when endpoint is not an
// emulator.
func emulatorMinimum(ctx context.Context, endpoint string, shape fakeaws.ScanShape) (m fakeaws.Minimum, ok bool) {
	body, err := json.Marshal(shape)
	if err != nil {
		return m, false
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(endpoint, "/")+fakeaws.MinimumPath, bytes.NewReader(body))
	if err != nil {
		return m, false
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return m, false
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return m, false
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&m); err != nil {
		return m, false
	}
	return m, true
}
