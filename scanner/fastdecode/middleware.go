// Package fastdecode decodes the small S3 answers a scan asks for most
// often (GetBucketOwnershipControls for every bucket; GetObjectAcl and
// GetBucketAcl, with readiness on ten object ACLs and one bucket ACL per
// bucket not enforced) into the SDK's own output types, without the SDK's
// generic XML deserializer, a large share of the CPU of such a call on
// the scanning side: encoding/xml's tokens, each element wrapped in a node
// decoder, a string per name.
//
// The fast decoder stands in for the SDK's deserializer of the operation in
// the client's middleware stack (APIOption). It produces exactly what the
// SDK's would, field for field, or refuses the document and hands it, byte
// for byte, to the SDK's deserializer: error answers, documents outside
// the XML subset it reads (internal/xmlscan), bodies that fail mid-way or
// exceed maxBodyBytes. Either way the same output or error leaves the
// deserialize step, so the answer checks above it (the scanner's
// answerCheck) see no difference.
package fastdecode

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/ownerscan/ownerscan/internal/answer"
	"github.com/ownerscan/ownerscan/internal/sdkswap"
)

// deserializerID is the ID of the SDK's operation deserializer in the
// Deserialize step.
const deserializerID = sdkswap.DeserializerID

// maxBodyBytes bounds the body the fast path reads into memory: twice the
// scanner's own limit for an ACL answer (100 grants of at most about 450
// bytes fit in 64 KiB). A longer body goes, as read so far and then
// streaming on, to the SDK's deserializer, as it would without this
// package.
const maxBodyBytes = 256 << 10

// pooledBodyBytes is the largest body buffer kept for reuse.
const pooledBodyBytes = 64 << 10

// operation is an S3 operation whose 2xx answers this package decodes.
type operation struct {
	name string
	// sdkType is the type of the SDK's deserializer the fast one stands
	// in for: the swap is made only where the step holds it (swapguard.go).
	sdkType string
	// decode turns a complete body into the operation's output, with the
	// SDK's HTTP bindings (headers) applied, or refuses it.
	decode func(d *decoders, body []byte, resp *smithyhttp.Response) (any, error)
	// call makes a call of the operation with optFn (for the probe).
	call func(ctx context.Context, c *s3.Client, optFn func(*s3.Options)) error
}

// operations are the operations decoded here, by name (the ID of their
// middleware stack).
var operations = map[string]*operation{
	"GetObjectAcl": {
		name:    "GetObjectAcl",
		sdkType: "*s3.awsRestxml_deserializeOpGetObjectAcl",
		decode: func(d *decoders, body []byte, resp *smithyhttp.Response) (any, error) {
			if err := d.acl.decode(body); err != nil {
				return nil, err
			}
			strs := d.acl.values()
			out := &s3.GetObjectAclOutput{Owner: d.acl.ownerOf(strs), Grants: d.acl.grantsOf(strs)}
			// The SDK's HTTP binding, as it reads it (trimming in place).
			if v := resp.Header.Values("x-amz-request-charged"); len(v) != 0 {
				v[0] = strings.TrimSpace(v[0])
				out.RequestCharged = types.RequestCharged(v[0])
			}
			return out, nil
		},
		call: func(ctx context.Context, c *s3.Client, optFn func(*s3.Options)) error {
			_, err := c.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: probeName, Key: probeName}, optFn)
			return err
		},
	},
	"GetBucketOwnershipControls": {
		name:    "GetBucketOwnershipControls",
		sdkType: "*s3.awsRestxml_deserializeOpGetBucketOwnershipControls",
		decode: func(d *decoders, body []byte, _ *smithyhttp.Response) (any, error) {
			if err := d.ownership.decode(body); err != nil {
				return nil, err
			}
			return &s3.GetBucketOwnershipControlsOutput{OwnershipControls: d.ownership.controls()}, nil
		},
		call: func(ctx context.Context, c *s3.Client, optFn func(*s3.Options)) error {
			_, err := c.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: probeName}, optFn)
			return err
		},
	},
	"GetBucketAcl": {
		name:    "GetBucketAcl",
		sdkType: "*s3.awsRestxml_deserializeOpGetBucketAcl",
		decode: func(d *decoders, body []byte, _ *smithyhttp.Response) (any, error) {
			if err := d.acl.decode(body); err != nil {
				return nil, err
			}
			strs := d.acl.values()
			return &s3.GetBucketAclOutput{Owner: d.acl.ownerOf(strs), Grants: d.acl.grantsOf(strs)}, nil
		},
		call: func(ctx context.Context, c *s3.Client, optFn func(*s3.Options)) error {
			_, err := c.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: probeName}, optFn)
			return err
		},
	},
}

// decoders are the scratch state of one decoding, recycled.
type decoders struct {
	acl       aclDecoder
	ownership ownershipDecoder
}

var decoderPool = sync.Pool{New: func() any { return new(decoders) }}

// bodyPool recycles body buffers (*[]byte).
var bodyPool = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

// fastDeserializer stands in for the SDK's deserializer of op; orig is
// that deserializer, which gets every answer the fast path does not take.
type fastDeserializer struct {
	op   *operation
	orig middleware.DeserializeMiddleware
}

func (*fastDeserializer) ID() string { return deserializerID }

// replayedBody is what the SDK's deserializer reads when the fast path
// gives a body up: the bytes already read, then the rest; closing it
// closes the original body.
type replayedBody struct {
	io.Reader
	io.Closer
}

func (m *fastDeserializer) HandleDeserialize(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (
	middleware.DeserializeOutput, middleware.Metadata, error,
) {
	out, md, err := next.HandleDeserialize(ctx, in)
	resp, ok := out.RawResponse.(*smithyhttp.Response)
	if err != nil || !ok || resp.StatusCode < 200 || resp.StatusCode >= 300 || resp.Body == nil {
		return m.orig.HandleDeserialize(ctx, in, sdkswap.Replay{Out: out, Metadata: md, Err: err})
	}
	bufp := bodyPool.Get().(*[]byte)
	buf, readErr := answer.AppendAll((*bufp)[:0], resp.Body, maxBodyBytes, m.op.name)
	if readErr == nil {
		d := decoderPool.Get().(*decoders)
		result, decErr := m.op.decode(d, buf, resp)
		decoderPool.Put(d)
		if decErr == nil {
			resp.Body.Close()
			putBody(bufp, buf)
			out.Result = result
			return out, md, nil
		}
	}
	// Hand the SDK exactly what it would have read: the bytes read so far,
	// then the read error, or (past maxBodyBytes) the rest of the body.
	// buf is not pooled again: nothing may reuse it while the SDK reads.
	body := sdkswap.Replayed(buf, readErr)
	if len(buf) > maxBodyBytes { // readErr says it is too large
		body = io.MultiReader(bytes.NewReader(buf), resp.Body)
	}
	resp.Body = replayedBody{Reader: body, Closer: resp.Body}
	return m.orig.HandleDeserialize(ctx, in, sdkswap.Replay{Out: out, Metadata: md})
}

// putBody returns a body buffer to the pool unless it grew large.
func putBody(bufp *[]byte, buf []byte) {
	if cap(buf) <= pooledBodyBytes {
		*bufp = buf[:0]
		bodyPool.Put(bufp)
	}
}
