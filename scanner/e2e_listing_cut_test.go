package scanner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// listingCutScenario: 21 accounts, so ListAccounts answers in two pages;
// the one account of the second page (999999999999) wrote an object into
// the management account's bucket.
func listingCutScenario() string {
	var b strings.Builder
	b.WriteString("management_account: \"111111111111\"\naccounts:\n  - {id: \"111111111111\", name: Mgmt}\n")
	for i := 1; i <= 19; i++ {
		fmt.Fprintf(&b, "  - {id: \"2000000000%02d\", name: Filler%02d}\n", i, i)
	}
	b.WriteString(`  - {id: "999999999999", name: Late}
buckets:
  - name: mgmt-shared
    account: "111111111111"
    ownership: ObjectWriter
    writers: ["999999999999"]
    objects:
      - {key: own.txt, size: 1}
      - {key: from-late.txt, uploader: "999999999999", size: 2}
`)
	return b.String()
}

// TestE2EListingCutOwnerNotExternal: a scan stopped while the second
// ListAccounts page is underway (the grace period then cancels it) never
// names the member on that page. An owner that matches no member it did
// name may be that member: it is unidentified, never "external" (the
// claim, critical, that it is outside the organization).
func TestE2EListingCutOwnerNotExternal(t *testing.T) {
	e := newRecordingEndpoint(t, listingCutScenario())
	var listed atomic.Bool // the bucket's ListObjectVersions was asked
	e.stall = func(r *http.Request) bool {
		if r.URL.Query().Has("versions") {
			listed.Store(true)
		}
		if !strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".ListAccounts") {
			return false
		}
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		return bytes.Contains(body, []byte("NextToken"))
	}
	s, err := New(e.config(), DefaultOptions(), testLogger(), WithStopGrace(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	progress := &Progress{}
	stop := make(chan struct{})
	go func() {
		// The bucket's listing then waits, on its page's foreign owner,
		// for the directory of members until the organization listing
		// ends.
		for progress.AccountsDone.Load() < 20 || !listed.Load() {
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(200 * time.Millisecond)
		close(stop)
	}()
	res, err := s.ScanUntil(context.Background(), stop, nil, progress)
	if !errors.Is(err, ErrStopped) {
		t.Fatalf("err = %v, want ErrStopped", err)
	}
	if res.Complete {
		t.Error("a scan whose organization listing was cut is complete")
	}
	if len(res.Accounts) != 20 {
		t.Fatalf("%d accounts, want the 20 of the first page (the second is stalled)", len(res.Accounts))
	}
	b := bucketByName(t, res, "mgmt-shared")
	if len(b.ForeignOwners) != 1 {
		t.Fatalf("bucket %s (%s, %s): %d foreign owners, want one", b.Name, b.Status, b.Error, len(b.ForeignOwners))
	}
	if fo := b.ForeignOwners[0]; fo.External || !fo.Unidentified {
		t.Errorf("owner %s: external=%v unidentified=%v; it may be a member the listing did not reach", fo.CanonicalID, fo.External, fo.Unidentified)
	}
	for _, f := range res.Findings {
		if f.Bucket != b.Name {
			continue
		}
		if f.Severity == SeverityCritical || strings.Contains(f.Title+f.Detail, "external "+b.ForeignOwners[0].CanonicalID) {
			t.Errorf("finding claims an external owner: %s (%s) %s", f.Severity, f.Title, f.Detail)
		}
	}
}
