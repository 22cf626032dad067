package fastdecode

import (
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"sort"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"

	"github.com/ownerscan/ownerscan/internal/sdkswap"
)

// The fast decoders stand in for the SDK's deserializers, found in each
// operation's middleware stack by their ID (deserializerID) and type. An
// SDK release that renames, moves or replaces one must not fail the calls:
// the swap is then skipped for that operation, its answers are decoded by
// the SDK (the same outputs, more CPU), and one warning per client set
// says so. TestSDKDeserializersWhereExpected fails as soon as an SDK
// upgrade does this, so that the fast decoder is brought back, not
// silently lost.

// probeName is the bucket and key of the probe's calls, never sent.
var probeName = aws.String("probe")

// probed is what the probe found for one operation: the type of the SDK's
// deserializer, or why the fast decoder cannot stand in for it.
type probed struct {
	sdk reflect.Type
	err error
}

// probeOperations builds, for every operation of this package, the
// middleware stack a call builds in every S3 client of this SDK, and says
// for each whether its Deserialize step holds the SDK's deserializer under
// deserializerID. optFns adjust the probing client (tests use them to
// stand in for a changed SDK). No request leaves the process.
func probeOperations(optFns ...func(*s3.Options)) map[string]probed {
	found := make(map[string]probed, len(operations))
	for name, op := range operations {
		var p probed
		err := sdkswap.ProbeStack(func(c *s3.Client, optFn func(*s3.Options)) error {
			return op.call(context.Background(), c, optFn)
		}, func(stack *middleware.Stack) {
			m, ok := stack.Deserialize.Get(deserializerID)
			switch got := fmt.Sprintf("%T", m); {
			case !ok:
				p.err = fmt.Errorf("no %s in the Deserialize step %v", deserializerID, stack.Deserialize.List())
			case got != op.sdkType:
				p.err = fmt.Errorf("%s is a %s, not the SDK's %s", deserializerID, got, op.sdkType)
			default:
				p.sdk = reflect.TypeOf(m)
			}
		}, optFns...)
		if err != nil {
			p.err = fmt.Errorf("probe the %s stack: %w", name, err)
		}
		found[name] = p
	}
	return found
}

// sdkProbe is the probe of the SDK linked into this program, made once.
var sdkProbe = sync.OnceValue(func() map[string]probed { return probeOperations() })

// APIOption returns the APIOptions entry of an S3 client that swaps the
// SDK's deserializer of each operation of this package for its fast
// decoder. It logs to logger one warning for each operation whose
// deserializer is not where this build expects it; those keep the SDK's.
func APIOption(logger *slog.Logger) func(*middleware.Stack) error {
	return apiOption(logger, sdkProbe())
}

// swappable is an operation whose fast decoder may stand in for sdk.
type swappable struct {
	op  *operation
	sdk reflect.Type
}

func apiOption(logger *slog.Logger, probe map[string]probed) func(*middleware.Stack) error {
	ready := make(map[string]swappable, len(operations))
	names := make([]string, 0, len(probe))
	for name := range probe {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := probe[name].err; err != nil {
			logger.Warn("fastdecode: the AWS SDK's "+name+" deserializer is not where this build expects it; "+
				"its answers are decoded by the SDK instead (same results, more CPU)",
				"component", "fastdecode", "error", err)
			continue
		}
		ready[name] = swappable{operations[name], probe[name].sdk}
	}
	return func(stack *middleware.Stack) error {
		sw, ok := ready[stack.ID()]
		if !ok {
			return nil
		}
		fd := &fastDeserializer{op: sw.op}
		orig, err := stack.Deserialize.Swap(deserializerID, fd)
		switch {
		case err != nil:
			return nil // no such step in this call's stack: the SDK decodes
		case reflect.TypeOf(orig) != sw.sdk:
			// Another option of this client replaced the SDK's
			// deserializer: leave it in place.
			_, err = stack.Deserialize.Swap(deserializerID, orig)
			return err
		}
		fd.orig = orig
		return nil
	}
}
