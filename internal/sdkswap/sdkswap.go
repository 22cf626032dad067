// Package sdkswap holds what the scanner's fast decoders share to stand in
// for an AWS SDK deserializer in a call's middleware stack (versionlist for
// ListObjectVersions, fastdecode for ACL answers): replaying a response to
// the SDK's deserializer when the fast decoder gives it up, probing a
// call's stack without sending anything (ProbeStack), and (for their
// tests) a stack whose
// deserializer moved, as an SDK release could move it.
package sdkswap

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"
)

// DeserializerID is the ID of the SDK's operation deserializer in the
// Deserialize step (see service/s3 deserializers.go).
const DeserializerID = "OperationDeserializer"

// Replay is a DeserializeHandler that returns a response already obtained:
// what the fast decoder got from the rest of the stack, handed on to the
// SDK's deserializer.
type Replay struct {
	Out      middleware.DeserializeOutput
	Metadata middleware.Metadata
	Err      error
}

// HandleDeserialize returns the replayed response.
func (r Replay) HandleDeserialize(context.Context, middleware.DeserializeInput) (middleware.DeserializeOutput, middleware.Metadata, error) {
	return r.Out, r.Metadata, r.Err
}

// Replayed is the body a fast decoder hands the SDK's deserializer when it
// gives one up: the bytes it read, then the error that ended its reading
// (nil: the end of the body), as the SDK would have read them.
func Replayed(read []byte, readErr error) io.Reader {
	if readErr == nil {
		return bytes.NewReader(read)
	}
	return io.MultiReader(bytes.NewReader(read), errReader{readErr})
}

// errReader replays a body-read error.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// noNetwork is the HTTP client of a probe: it never sends anything.
type noNetwork struct{}

// Do refuses the request.
func (noNetwork) Do(*http.Request) (*http.Response, error) {
	return nil, errors.New("sdkswap: a probe sends no request")
}

// errProbeDone ends a probe call before anything is sent.
var errProbeDone = errors.New("sdkswap: probe done")

// ProbeStack builds the middleware stack of one S3 call, as every S3
// client of this SDK builds it, and hands it to inspect. call makes the
// call through c with optFn. optFns adjust the probing client (tests use
// them to stand in for a changed SDK). No request leaves the process: the
// call stops while its stack is being built; an error says the stack
// could not be built.
func ProbeStack(call func(c *s3.Client, optFn func(*s3.Options)) error, inspect func(*middleware.Stack), optFns ...func(*s3.Options)) error {
	c := s3.New(s3.Options{Region: "us-east-1", Credentials: aws.AnonymousCredentials{}, HTTPClient: noNetwork{}}, optFns...)
	err := call(c, func(o *s3.Options) {
		o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
			inspect(stack)
			return errProbeDone
		})
	})
	switch {
	case err == nil:
		return errors.New("sdkswap: the probe call did not build its stack")
	case !errors.Is(err, errProbeDone):
		return fmt.Errorf("sdkswap: build the stack: %w", err)
	}
	return nil
}

// MoveDeserializer is an APIOptions entry standing in for an SDK release
// whose operation deserializer has another ID: the same middleware, in the
// same place, renamed. For tests of what happens when a swap finds no step.
func MoveDeserializer(stack *middleware.Stack) error {
	ids := stack.Deserialize.List()
	i := slices.Index(ids, DeserializerID)
	if i < 0 || i+1 >= len(ids) {
		return errors.New("sdkswap: no " + DeserializerID + " before another step")
	}
	m, err := stack.Deserialize.Remove(DeserializerID)
	if err != nil {
		return err
	}
	// In the same place: the steps around it close the body after it.
	return stack.Deserialize.Insert(renamed{m}, ids[i+1], middleware.Before)
}

type renamed struct {
	middleware.DeserializeMiddleware
}

func (renamed) ID() string { return DeserializerID + "Renamed" }
