package remediate

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/ownerscan/ownerscan/scanner"
)

// S3API is every S3 call apply and rollback make, with the SDK's own
// signatures: deploy/member-remediation-role.yaml grants exactly their
// actions (DeleteBucketOwnershipControls is authorized as
// s3:PutBucketOwnershipControls).
type S3API interface {
	GetBucketOwnershipControls(ctx context.Context, in *s3.GetBucketOwnershipControlsInput, optFns ...func(*s3.Options)) (*s3.GetBucketOwnershipControlsOutput, error)
	PutBucketOwnershipControls(ctx context.Context, in *s3.PutBucketOwnershipControlsInput, optFns ...func(*s3.Options)) (*s3.PutBucketOwnershipControlsOutput, error)
	DeleteBucketOwnershipControls(ctx context.Context, in *s3.DeleteBucketOwnershipControlsInput, optFns ...func(*s3.Options)) (*s3.DeleteBucketOwnershipControlsOutput, error)
	GetBucketAcl(ctx context.Context, in *s3.GetBucketAclInput, optFns ...func(*s3.Options)) (*s3.GetBucketAclOutput, error)
	PutBucketAcl(ctx context.Context, in *s3.PutBucketAclInput, optFns ...func(*s3.Options)) (*s3.PutBucketAclOutput, error)
	GetBucketPolicy(ctx context.Context, in *s3.GetBucketPolicyInput, optFns ...func(*s3.Options)) (*s3.GetBucketPolicyOutput, error)
	PutBucketPolicy(ctx context.Context, in *s3.PutBucketPolicyInput, optFns ...func(*s3.Options)) (*s3.PutBucketPolicyOutput, error)
	DeleteBucketPolicy(ctx context.Context, in *s3.DeleteBucketPolicyInput, optFns ...func(*s3.Options)) (*s3.DeleteBucketPolicyOutput, error)
}

var _ S3API = (*s3.Client)(nil)

// Controls are a bucket's ownership, ACL and policy as the journal keeps
// them: enough to put each back exactly.
type Controls struct {
	ObjectOwnership scanner.ObjectOwnership `json:"object_ownership"` // NotSet when the bucket has no ownership controls
	ACL             ACL                     `json:"acl"`
	Policy          Policy                  `json:"policy"`
}

// ACL is a bucket ACL as an AccessControlPolicy: its owner and every grant.
type ACL struct {
	Owner  string     `json:"owner"`
	Grants []ACLGrant `json:"grants"`
}

// ACLGrant is one grant of an ACL.
type ACLGrant struct {
	Type         string `json:"type"` // CanonicalUser | Group | AmazonCustomerByEmail
	ID           string `json:"id,omitempty"`
	URI          string `json:"uri,omitempty"`
	EmailAddress string `json:"email_address,omitempty"`
	Permission   string `json:"permission"`
}

// Policy is a bucket policy, or its absence.
type Policy struct {
	Present bool   `json:"present"`
	Text    string `json:"text,omitempty"`
}

// Fingerprint is the controls' fingerprint as a scan records it.
func (c Controls) Fingerprint() string {
	bc := scanner.BucketControls{Ownership: c.ObjectOwnership, ACLOwner: c.ACL.Owner, ACLGrants: c.ACL.sdkGrants()}
	if c.Policy.Present {
		bc.Policy = aws.String(c.Policy.Text)
	}
	return bc.Fingerprint()
}

// privateACL is the ACL `put-bucket-acl private` leaves: the owner's full
// control only.
func privateACL(owner string) ACL {
	return ACL{Owner: owner, Grants: []ACLGrant{{Type: string(s3types.TypeCanonicalUser), ID: owner, Permission: string(s3types.PermissionFullControl)}}}
}

// equal reports whether two ACLs have the same owner and the same grants,
// in any order.
func (a ACL) equal(b ACL) bool {
	return a.Owner == b.Owner && reflect.DeepEqual(a.sortedGrants(), b.sortedGrants())
}

func (a ACL) sortedGrants() []string {
	out := make([]string, len(a.Grants))
	for i, g := range a.Grants {
		out[i] = strings.Join([]string{g.Type, g.ID, g.URI, g.EmailAddress, g.Permission}, "\x00")
	}
	sort.Strings(out)
	return out
}

func (a ACL) sdkGrants() []s3types.Grant {
	out := make([]s3types.Grant, len(a.Grants))
	for i, g := range a.Grants {
		grantee := &s3types.Grantee{Type: s3types.Type(g.Type)}
		if g.ID != "" {
			grantee.ID = aws.String(g.ID)
		}
		if g.URI != "" {
			grantee.URI = aws.String(g.URI)
		}
		if g.EmailAddress != "" {
			grantee.EmailAddress = aws.String(g.EmailAddress)
		}
		out[i] = s3types.Grant{Grantee: grantee, Permission: s3types.Permission(g.Permission)}
	}
	return out
}

func aclOf(out *s3.GetBucketAclOutput) ACL {
	a := ACL{Grants: []ACLGrant{}}
	if out.Owner != nil {
		a.Owner = aws.ToString(out.Owner.ID)
	}
	for _, g := range out.Grants {
		ag := ACLGrant{Permission: string(g.Permission)}
		if g.Grantee != nil {
			ag.Type, ag.ID, ag.URI, ag.EmailAddress = string(g.Grantee.Type), aws.ToString(g.Grantee.ID), aws.ToString(g.Grantee.URI), aws.ToString(g.Grantee.EmailAddress)
		}
		a.Grants = append(a.Grants, ag)
	}
	return a
}

// equivalent reports whether two policies are the same: absent both, or
// the same text, or the same JSON document (S3 may give back a policy
// with other white space than it was put with).
func (p Policy) equivalent(q Policy) bool {
	if p.Present != q.Present {
		return false
	}
	if !p.Present || p.Text == q.Text {
		return true
	}
	var x, y any
	return decodeNumbers(p.Text, &x) == nil && decodeNumbers(q.Text, &y) == nil && reflect.DeepEqual(x, y)
}

func decodeNumbers(text string, v *any) error {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	return dec.Decode(v)
}

// bucketAPI makes one bucket's calls, each with ExpectedBucketOwner: a
// write never lands in a bucket of another account of the same name.
type bucketAPI struct {
	api           S3API
	bucket, owner string // owner: the account ID, sent as ExpectedBucketOwner
}

func (b *bucketAPI) name() *string     { return aws.String(b.bucket) }
func (b *bucketAPI) expected() *string { return aws.String(b.owner) }

// read reads all three controls.
func (b *bucketAPI) read(ctx context.Context) (Controls, error) {
	var c Controls
	for _, part := range []Action{ActionEnforce, ActionPutBucketACL, ActionPutBucketPolicy} {
		if err := b.readPart(ctx, part, &c); err != nil {
			return c, err
		}
	}
	return c, nil
}

// readPart reads the control a step's action sets into c.
func (b *bucketAPI) readPart(ctx context.Context, part Action, c *Controls) error {
	switch part {
	case ActionEnforce:
		out, err := b.api.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: b.name(), ExpectedBucketOwner: b.expected()})
		switch {
		case scanner.ErrorCode(err) == "OwnershipControlsNotFoundError":
			c.ObjectOwnership = scanner.OwnershipNotSet
		case err != nil:
			return opError("GetBucketOwnershipControls", err)
		case out.OwnershipControls == nil || len(out.OwnershipControls.Rules) == 0 || out.OwnershipControls.Rules[0].ObjectOwnership == "":
			// Only the error above means no controls: an answer without a
			// rule is not S3's, and read as NotSet it would make a rollback
			// drop an enforce step that still stands.
			return notTheDocument("GetBucketOwnershipControls", "no Rule with an ObjectOwnership")
		default:
			c.ObjectOwnership = scanner.ObjectOwnership(out.OwnershipControls.Rules[0].ObjectOwnership)
		}
	case ActionPutBucketACL:
		out, err := b.api.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: b.name(), ExpectedBucketOwner: b.expected()})
		if err != nil {
			return opError("GetBucketAcl", err)
		}
		if out.Owner == nil || aws.ToString(out.Owner.ID) == "" {
			return notTheDocument("GetBucketAcl", "no Owner ID")
		}
		c.ACL = aclOf(out)
	case ActionPutBucketPolicy:
		out, err := b.api.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: b.name(), ExpectedBucketOwner: b.expected()})
		switch {
		case scanner.ErrorCode(err) == "NoSuchBucketPolicy":
			c.Policy = Policy{}
		case err != nil:
			return opError("GetBucketPolicy", err)
		case aws.ToString(out.Policy) == "":
			return notTheDocument("GetBucketPolicy", "no policy")
		default:
			c.Policy = Policy{Present: true, Text: aws.ToString(out.Policy)}
		}
	}
	return nil
}

// write sets the control of part to its value in c: the ownership (or
// none), the ACL (canned private when private is set, else c's
// AccessControlPolicy), the policy (or none). Every one of these writes
// sets a value, never adds to one, so sending it twice leaves the bucket
// as sending it once: safe to retry.
func (b *bucketAPI) write(ctx context.Context, part Action, c Controls, private bool) error {
	switch part {
	case ActionEnforce:
		if c.ObjectOwnership == scanner.OwnershipNotSet {
			_, err := b.api.DeleteBucketOwnershipControls(ctx, &s3.DeleteBucketOwnershipControlsInput{Bucket: b.name(), ExpectedBucketOwner: b.expected()})
			return opError("DeleteBucketOwnershipControls", err)
		}
		_, err := b.api.PutBucketOwnershipControls(ctx, &s3.PutBucketOwnershipControlsInput{Bucket: b.name(), ExpectedBucketOwner: b.expected(),
			OwnershipControls: &s3types.OwnershipControls{Rules: []s3types.OwnershipControlsRule{{ObjectOwnership: s3types.ObjectOwnership(c.ObjectOwnership)}}}})
		return opError("PutBucketOwnershipControls", err)
	case ActionPutBucketACL:
		in := &s3.PutBucketAclInput{Bucket: b.name(), ExpectedBucketOwner: b.expected()}
		if private {
			in.ACL = s3types.BucketCannedACLPrivate
		} else {
			in.AccessControlPolicy = &s3types.AccessControlPolicy{Owner: &s3types.Owner{ID: aws.String(c.ACL.Owner)}, Grants: c.ACL.sdkGrants()}
		}
		_, err := b.api.PutBucketAcl(ctx, in)
		return opError("PutBucketAcl", err)
	default:
		if !c.Policy.Present {
			_, err := b.api.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: b.name(), ExpectedBucketOwner: b.expected()})
			return opError("DeleteBucketPolicy", err)
		}
		_, err := b.api.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: b.name(), ExpectedBucketOwner: b.expected(), Policy: aws.String(c.Policy.Text)})
		return opError("PutBucketPolicy", err)
	}
}

// written is what became of a write read back: the control as read, and
// the write's and the read's errors.
type written struct {
	seen              Controls
	writeErr, readErr error
}

// set writes the control of part to its value in want (see write) over
// before, and reads it back (see readBack): a write that failed is read
// back too, since one whose answer was lost may have taken effect.
// inEffect: the read shows want.
func (b *bucketAPI) set(ctx context.Context, part Action, want, before Controls, private bool) (w written, inEffect bool) {
	w.writeErr = b.write(ctx, part, want, private)
	w.seen, w.readErr = b.readBack(ctx, part, want, before, w.writeErr)
	return w, w.readErr == nil && samePart(part, w.seen, want)
}

// verified is the journal's reason for a write in effect, which the read
// shows as shown ("in effect", "restored").
func (w written) verified(shown string) string {
	if w.writeErr != nil {
		return "the write's answer was lost (" + w.writeErr.Error() + "), read back: " + shown
	}
	return "read back: " + shown
}

// readBackDelays are the waits before each read that verifies a write. S3
// bucket configurations are eventually consistent
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/Welcome.html#ConsistencyModel):
// a read right after a write may still show the old value for a moment.
var readBackDelays = []time.Duration{0, 250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second}

// readBack reads the control part sets after a write that aimed for want
// from before. While the read still shows before, it reads again (the
// write may not be visible yet), unless S3 refused the write outright (a
// 4xx error: the old value is the answer).
func (b *bucketAPI) readBack(ctx context.Context, part Action, want, before Controls, writeErr error) (Controls, error) {
	var seen Controls
	var err error
	for i, d := range readBackDelays {
		if d > 0 {
			t := time.NewTimer(d)
			select {
			case <-ctx.Done():
				t.Stop()
				return seen, ctx.Err()
			case <-t.C:
			}
		}
		err = b.readPart(ctx, part, &seen)
		refused := refusedOutright(writeErr)
		if err != nil || samePart(part, seen, want) || !samePart(part, seen, before) || refused || i == len(readBackDelays)-1 {
			break
		}
	}
	return seen, err
}

// refusedOutright reports whether a write's error is S3 refusing it: an
// error code with a 4xx status. A 5xx (InternalError, SlowDown, 503) is
// not: S3 may have made the change before failing to answer, and a read
// right after may not show it yet
// (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html).
func refusedOutright(writeErr error) bool {
	if writeErr == nil || scanner.ErrorCode(writeErr) == "" {
		return false
	}
	var resp *smithyhttp.ResponseError
	return !errors.As(writeErr, &resp) || resp.HTTPStatusCode() < http.StatusInternalServerError
}

// samePart reports whether x and y agree on the control part sets.
func samePart(part Action, x, y Controls) bool {
	switch part {
	case ActionEnforce:
		return x.ObjectOwnership == y.ObjectOwnership
	case ActionPutBucketACL:
		return x.ACL.equal(y.ACL)
	}
	return x.Policy.equivalent(y.Policy)
}

// withPart is x with the control of part taken from y.
func withPart(part Action, x, y Controls) Controls {
	switch part {
	case ActionEnforce:
		x.ObjectOwnership = y.ObjectOwnership
	case ActionPutBucketACL:
		x.ACL = y.ACL
	default:
		x.Policy = y.Policy
	}
	return x
}

// after is the state a step leaves a bucket in that was in state c.
func (s Step) after(c Controls) Controls {
	switch s.Action {
	case ActionEnforce:
		c.ObjectOwnership = s.ObjectOwnership
	case ActionPutBucketACL:
		c.ACL = privateACL(c.ACL.Owner)
	case ActionPutBucketPolicy:
		c.Policy = Policy{Present: true, Text: s.Policy}
	}
	return c
}

// opError names the operation of a failed call: "PutBucketPolicy:
// AccessDenied: Access Denied". nil stays nil.
func opError(op string, err error) error {
	if err == nil {
		return nil
	}
	return &callError{op: op, err: err}
}

// notTheDocument is the error of a 200 answer that lacks what S3's
// answer to op always holds: it is not believed.
func notTheDocument(op, lacks string) error {
	return &callError{op: op, err: errors.New("the answer holds " + lacks)}
}

type callError struct {
	op  string
	err error
}

func (e *callError) Error() string { return e.op + ": " + scanner.ErrorText(e.err) }
func (e *callError) Unwrap() error { return e.err }
