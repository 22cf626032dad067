package versionlist

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"

	"github.com/ownerscan/ownerscan/internal/sdkswap"
)

// sdkListDeserializer is the type of the SDK's own ListObjectVersions
// deserializer, the step the fast decoder stands in for.
const sdkListDeserializer = "*s3.awsRestxml_deserializeOpListObjectVersions"

// TestSDKDeserializerWhereExpected fails when an SDK upgrade moves the
// step the fast decoder replaces. Scans would still work (they fall back
// to the SDK's decoder with one warning), but slower: find where the SDK
// now deserializes ListObjectVersions and update deserializerID (and this
// test) before taking the upgrade.
func TestSDKDeserializerWhereExpected(t *testing.T) {
	var ids []string
	var found middleware.DeserializeMiddleware
	err := sdkswap.ProbeStack(func(c *s3.Client, optFn func(*s3.Options)) error {
		_, err := c.ListObjectVersions(context.Background(), &s3.ListObjectVersionsInput{Bucket: aws.String("b")}, optFn)
		return err
	}, func(stack *middleware.Stack) {
		ids = stack.Deserialize.List()
		found, _ = stack.Deserialize.Get(deserializerID)
	})
	if err != nil {
		t.Fatalf("building the ListObjectVersions stack: %v", err)
	}
	if got := fmt.Sprintf("%T", found); found == nil || got != sdkListDeserializer {
		t.Fatalf("SDK upgrade: the Deserialize step %q is %s, not the SDK's ListObjectVersions deserializer %s; the step holds %v.\n"+
			"Listings now fall back to the SDK's decoder (slower): point deserializerID at the SDK's deserializer again.",
			deserializerID, got, sdkListDeserializer, ids)
	}
	if err := probeDeserializerSwap(); err != nil {
		t.Fatalf("the run-time probe finds no place for the fast decoder: %v", err)
	}
	if !sdkDecoderGuard.fastDecodingAvailable(slog.New(slog.DiscardHandler)) {
		t.Fatalf("this process decodes pages with the SDK: %v", sdkDecoderGuard.err)
	}
	// And the swap takes effect on a real call: the page comes from the
	// fast decoder.
	cs := newCannedServer(t)
	cs.set(genPageFixed(5))
	if p, fast, err := listOnce(newTestClient(cs.URL), false); err != nil || !fast || len(p.Entries) != 5 {
		t.Fatalf("fast %v, %d entries, %v", fast, len(p.Entries), err)
	}
}

// movedDeserializer stands in for an SDK whose ListObjectVersions
// deserializer has another ID: the same middleware under a new name.
func movedDeserializer(o *s3.Options) {
	o.APIOptions = append(o.APIOptions, sdkswap.MoveDeserializer)
}

// warnings counts the warnings of a logger.
type warnings struct {
	mu sync.Mutex
	n  int
}

func (w *warnings) Enabled(context.Context, slog.Level) bool { return true }
func (w *warnings) Handle(_ context.Context, r slog.Record) error {
	if r.Level == slog.LevelWarn {
		w.mu.Lock()
		w.n++
		w.mu.Unlock()
	}
	return nil
}
func (w *warnings) WithAttrs([]slog.Attr) slog.Handler { return w }
func (w *warnings) WithGroup(string) slog.Handler      { return w }

// TestMovedDeserializerFallsBack: with the step gone, the probe says so,
// the guard warns once however many listings ask, and every listing still
// returns every entry, decoded by the SDK.
func TestMovedDeserializerFallsBack(t *testing.T) {
	if err := probeDeserializerSwap(movedDeserializer); err == nil || !strings.Contains(err.Error(), deserializerID) {
		t.Fatalf("probe of a moved deserializer: %v", err)
	}
	g := &decoderGuard{probe: func() error { return probeDeserializerSwap(movedDeserializer) }}
	w := &warnings{}
	logger := slog.New(w)
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if g.fastDecodingAvailable(logger) {
				t.Error("the guard allows the fast decoder without its step")
			}
		}()
	}
	wg.Wait()
	if w.n != 1 {
		t.Errorf("%d warnings, want exactly one", w.n)
	}

	// A call whose stack lacks the step is decoded by the SDK, not failed.
	cs := newCannedServer(t)
	cs.set(genPageFixed(7))
	c := newTestClient(cs.URL, movedDeserializer)
	p, fast, err := listOnce(c, false)
	if err != nil || fast || len(p.Entries) != 7 {
		t.Fatalf("page through a moved deserializer: fast %v, %d entries, %v", fast, len(p.Entries), err)
	}
	// So is a whole listing.
	fb := newFakeBucket(generatedKeys(2500, "k", 1))
	c = newTestClient(fb.serve(t).URL, movedDeserializer)
	got, _ := parallelList(t, c, "b", Options{Parallelism: 8, MaxKeys: 100})
	requireExact(t, "moved deserializer", got, serialList(t, c, "b"))
}

// TestListAllHeedsTheGuard: when the process's probe finds no place for
// the fast decoder, ListAll warns once through its logger and lists every
// entry with the SDK's decoder.
func TestListAllHeedsTheGuard(t *testing.T) {
	saved := sdkDecoderGuard
	t.Cleanup(func() { sdkDecoderGuard = saved })
	sdkDecoderGuard = &decoderGuard{probe: func() error { return probeDeserializerSwap(movedDeserializer) }}
	fb := newFakeBucket(generatedKeys(1200, "k", 2))
	c := newTestClient(fb.serve(t).URL, movedDeserializer)
	w := &warnings{}
	want := serialList(t, c, "b")
	for range 3 {
		got, _ := parallelList(t, c, "b", Options{Parallelism: 4, MaxKeys: 500, Logger: slog.New(w)})
		requireExact(t, "guarded listing", got, want)
	}
	if w.n != 1 {
		t.Errorf("%d warnings over three listings, want one", w.n)
	}
}
