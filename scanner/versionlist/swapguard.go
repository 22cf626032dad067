package versionlist

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"

	"github.com/ownerscan/ownerscan/internal/sdkswap"
)

// The fast decoder stands in for the SDK's deserializer of
// ListObjectVersions, found in the operation's middleware stack by its ID
// (deserializerID). An SDK release that renames or moves that step must
// not fail every listing: the swap is then skipped, pages are decoded by
// the SDK (the same entries, more CPU and memory), and one warning says so.
// TestSDKDeserializerWhereExpected fails as soon as an SDK upgrade moves
// the step, so that the fast decoder is brought back, not silently lost.

// decoderGuard probes, once, whether the fast decoder can be installed,
// and warns once when it cannot.
type decoderGuard struct {
	probe func() error
	once  sync.Once
	err   error
}

// sdkDecoderGuard is the process's guard: whether the swap works is a
// property of the SDK linked into the program, the same for every client.
var sdkDecoderGuard = &decoderGuard{probe: func() error { return probeDeserializerSwap() }}

// fastDecodingAvailable reports whether pages can be fast-decoded; the
// first call probes the SDK and, if the swap fails, logs one warning to
// logger.
func (g *decoderGuard) fastDecodingAvailable(logger *slog.Logger) bool {
	g.once.Do(func() {
		g.err = g.probe()
		if g.err != nil {
			logger.Warn("versionlist: the AWS SDK's ListObjectVersions deserializer is not where this build expects it; "+
				"listing pages are decoded by the SDK instead (same results, more CPU and memory)",
				"component", "versionlist", "error", g.err)
		}
	})
	return g.err == nil
}

// probeDeserializerSwap builds the middleware stack of a ListObjectVersions
// call, as every S3 client of this SDK builds it, and tries the swap that
// withFastDecoding makes. optFns adjust the probing client (tests use them
// to stand in for a changed SDK). No request leaves the process.
func probeDeserializerSwap(optFns ...func(*s3.Options)) error {
	var swapErr error
	err := sdkswap.ProbeStack(func(c *s3.Client, optFn func(*s3.Options)) error {
		_, err := c.ListObjectVersions(context.Background(), &s3.ListObjectVersionsInput{Bucket: aws.String("probe")}, optFn)
		return err
	}, func(stack *middleware.Stack) {
		_, swapErr = stack.Deserialize.Swap(deserializerID, &fastDeserializer{})
	}, optFns...)
	if err != nil {
		return fmt.Errorf("probe the ListObjectVersions stack: %w", err)
	}
	if swapErr != nil {
		return fmt.Errorf("swap %s: %w", deserializerID, swapErr)
	}
	return nil
}
