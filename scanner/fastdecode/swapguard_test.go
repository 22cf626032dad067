package fastdecode

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"

	"github.com/ownerscan/ownerscan/internal/sdkswap"
)

// stepIn records the type of the Deserialize step deserializerID in the
// stacks of calls made with it, after every other option has run.
type stepIn struct {
	mu    sync.Mutex
	types []string
}

func (s *stepIn) option(o *s3.Options) {
	o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
		m, _ := stack.Deserialize.Get(deserializerID)
		typ := fmt.Sprintf("%T", m)
		if w, ok := m.(wrapped); ok {
			typ = fmt.Sprintf("wrapped %T", w.DeserializeMiddleware)
		}
		s.mu.Lock()
		s.types = append(s.types, typ)
		s.mu.Unlock()
		return nil
	})
}

// TestSDKDeserializersWhereExpected fails when an SDK upgrade moves,
// renames or replaces a deserializer a fast decoder stands in for. Scans
// would still work (those answers fall back to the SDK's decoder, with a
// warning), but slower: find where the SDK now deserializes the operation
// and update operations (and this test) before taking the upgrade.
func TestSDKDeserializersWhereExpected(t *testing.T) {
	for name, p := range probeOperations() {
		if p.err != nil {
			t.Errorf("SDK upgrade: %s: %v.\nIts answers now fall back to the SDK's decoder (slower): point the fast decoder at the SDK's deserializer again.", name, p.err)
		}
	}
	// And on real calls the step holds the fast decoder.
	cs := newCannedServer(t)
	cs.set(genACL(newRand(), 3, false))
	var seen stepIn
	cl := newClient(cs.URL, true, seen.option)
	for _, call := range []func(*s3.Client) outcome{getObjectACL, getBucketACL, getOwnership} {
		if out := call(cl); out.err != "" {
			t.Fatal(out.err)
		}
	}
	fast := "*fastdecode.fastDeserializer"
	if want := []string{fast, fast, fast}; !slices.Equal(seen.types, want) {
		t.Fatalf("the calls' deserializers are %v, want %v", seen.types, want)
	}
}

// movedDeserializer stands in for an SDK whose deserializers have another
// ID: the same middleware under a new name.
func movedDeserializer(o *s3.Options) {
	o.APIOptions = append(o.APIOptions, sdkswap.MoveDeserializer)
}

// wrappedDeserializer stands in for an SDK (or another option) that put
// something else under the deserializer's ID.
func wrappedDeserializer(o *s3.Options) {
	o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
		m, ok := stack.Deserialize.Get(deserializerID)
		if !ok {
			return fmt.Errorf("no %s", deserializerID)
		}
		_, err := stack.Deserialize.Swap(deserializerID, wrapped{m})
		return err
	})
}

type wrapped struct {
	middleware.DeserializeMiddleware
}

// warnings counts the warnings of a logger.
type warnings struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warnings) Enabled(context.Context, slog.Level) bool { return true }
func (w *warnings) Handle(_ context.Context, r slog.Record) error {
	if r.Level == slog.LevelWarn {
		w.mu.Lock()
		w.msgs = append(w.msgs, r.Message)
		w.mu.Unlock()
	}
	return nil
}
func (w *warnings) WithAttrs([]slog.Attr) slog.Handler { return w }
func (w *warnings) WithGroup(string) slog.Handler      { return w }

// TestChangedSDKFallsBack: with the steps moved or replaced, the probe
// says so, the option warns once per operation however many calls use it,
// and every call still gets the SDK's output, decoded by the SDK.
func TestChangedSDKFallsBack(t *testing.T) {
	for name, change := range map[string]func(*s3.Options){"moved": movedDeserializer, "replaced": wrappedDeserializer} {
		probe := probeOperations(change)
		for op, p := range probe {
			if p.err == nil || !strings.Contains(p.err.Error(), deserializerID) {
				t.Errorf("%s: probe of %s: %v", name, op, p.err)
			}
		}
		w := &warnings{}
		option := apiOption(slog.New(w), probe)
		if len(w.msgs) != len(operations) {
			t.Errorf("%s: %d warnings, want one per operation: %q", name, len(w.msgs), w.msgs)
		}
		cs := newCannedServer(t)
		cs.set(genACL(newRand(), 4, false))
		var seen stepIn
		fast := newClient(cs.URL, false, change, func(o *s3.Options) { o.APIOptions = append(o.APIOptions, option) }, seen.option)
		sdk := newClient(cs.URL, false, change)
		for range 5 {
			sameOutcome(t, name, clients{fast, sdk}, getObjectACL)
			sameOutcome(t, name, clients{fast, sdk}, getBucketACL)
			sameOutcome(t, name, clients{fast, sdk}, getOwnership)
		}
		if len(w.msgs) != len(operations) {
			t.Errorf("%s: %d warnings after the calls", name, len(w.msgs))
		}
		for _, typ := range seen.types {
			if strings.Contains(typ, "fastDeserializer") {
				t.Fatalf("%s: a fast decoder was swapped in: %v", name, seen.types)
			}
		}
	}
}

// TestSwapLeavesOtherDeserializers: when a call's stack holds something
// else than the SDK's deserializer under its ID (another option of the
// client put it there), the fast decoder leaves it in place.
func TestSwapLeavesOtherDeserializers(t *testing.T) {
	cs := newCannedServer(t)
	cs.set(genACL(newRand(), 2, false))
	var seen stepIn
	cl := newClient(cs.URL, false, wrappedDeserializer, func(o *s3.Options) {
		o.APIOptions = append(o.APIOptions, APIOption(slog.New(slog.DiscardHandler)))
	}, seen.option)
	if out := getObjectACL(cl); out.err != "" {
		t.Fatal(out.err)
	}
	if want := []string{"wrapped *s3.awsRestxml_deserializeOpGetObjectAcl"}; !slices.Equal(seen.types, want) {
		t.Fatalf("the step holds %v, want %v", seen.types, want)
	}
}
