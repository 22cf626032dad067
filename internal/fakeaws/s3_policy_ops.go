package fakeaws

// Bucket policy and server access logging operations, and the log
// deliveries that logging makes.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// bucketLogging is a bucket's server access logging configuration.
type bucketLogging struct {
	targetBucket string
	targetPrefix string
}

// logDeliveryService is the service principal S3 server access logs are
// delivered as
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html).
const logDeliveryService = "logging.s3.amazonaws.com"

// scenarioPolicy is the policy text a scenario bucket starts with: its
// policy, or the statement its writers stand for.
func scenarioPolicy(spec *BucketSpec) string {
	if spec.Policy != "" || len(spec.Writers) == 0 {
		return spec.Policy
	}
	arns := make([]string, len(spec.Writers))
	for i, w := range spec.Writers {
		arns[i] = "arn:aws:iam::" + w + ":root"
	}
	doc := map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Sid":       "ScenarioWriters",
			"Effect":    "Allow",
			"Principal": map[string]any{"AWS": arns},
			"Action":    "s3:PutObject",
			"Resource":  "arn:aws:s3:::" + spec.Name + "/*",
		}},
	}
	text, _ := json.Marshal(doc) // maps of strings: cannot fail
	return string(text)
}

// requirePolicyAccess allows the bucket policy operations to the bucket's
// account, unless the policy itself explicitly denies the action (S3 lets
// an account's root user through even then; fakeaws has no root user).
func (req *s3Request) requirePolicyAccess(action string) *s3Error {
	if err := req.requireOwner(); err != nil {
		return err
	}
	b := req.bucket
	b.mu.RLock()
	d := req.policyDecision(b, action, "", nil)
	b.mu.RUnlock()
	if d == policyDenies {
		return errAccessDenied()
	}
	return nil
}

// getBucketPolicy is GetBucketPolicy: the policy text as it was put, for
// the bucket's account; NoSuchBucketPolicy when there is none.
func (req *s3Request) getBucketPolicy() *s3Error {
	if err := req.requirePolicyAccess("s3:GetBucketPolicy"); err != nil {
		return err
	}
	b := req.bucket
	b.mu.RLock()
	p := b.policy
	b.mu.RUnlock()
	if p == nil {
		return newS3Error(http.StatusNotFound, "NoSuchBucketPolicy", "The bucket policy does not exist").with("BucketName", b.name)
	}
	req.w.Header().Set("Content-Type", "application/json")
	req.w.WriteHeader(http.StatusOK)
	_, _ = req.w.Write([]byte(p.text))
	return nil
}

// putBucketPolicy is PutBucketPolicy: the body is the policy, checked as
// S3 checks it (parseBucketPolicy) and stored as sent.
func (req *s3Request) putBucketPolicy() *s3Error {
	if err := req.requirePolicyAccess("s3:PutBucketPolicy"); err != nil {
		return err
	}
	body, serr := req.readBody(maxS3ConfigBody, false)
	if serr != nil {
		return serr
	}
	p, serr := parseBucketPolicy(req.bucket.name, string(body))
	if serr != nil {
		return serr
	}
	b := req.bucket
	b.mu.Lock()
	b.policy = p
	b.mu.Unlock()
	req.w.WriteHeader(http.StatusNoContent)
	return nil
}

func (req *s3Request) deleteBucketPolicy() *s3Error {
	if err := req.requirePolicyAccess("s3:DeleteBucketPolicy"); err != nil {
		return err
	}
	b := req.bucket
	b.mu.Lock()
	b.policy = nil
	b.mu.Unlock()
	req.w.WriteHeader(http.StatusNoContent)
	return nil
}

// getBucketLogging is GetBucketLogging: the target bucket and prefix, or
// an empty BucketLoggingStatus when logging is off.
func (req *s3Request) getBucketLogging() *s3Error {
	if err := req.requireOwner(); err != nil {
		return err
	}
	b := req.bucket
	b.mu.RLock()
	l := b.logging
	b.mu.RUnlock()
	x := newXMLBuf()
	x.openNS("BucketLoggingStatus")
	if l != nil {
		x.open("LoggingEnabled")
		x.elem("TargetBucket", l.targetBucket)
		x.elem("TargetPrefix", l.targetPrefix)
		x.close("LoggingEnabled")
	}
	x.close("BucketLoggingStatus")
	x.writeTo(req.w, http.StatusOK)
	return nil
}

// LogDelivery is the outcome of one server access log delivery.
type LogDelivery struct {
	SourceBucket string
	TargetBucket string
	Key          string // the log object written, "" when refused
	Error        string // the S3 error code of a refused delivery, "" when delivered
}

// DeliverAccessLogs delivers one server access log object for every bucket
// with logging on, in source bucket name order, the way S3 does: as the
// logging service principal (logging.s3.amazonaws.com), allowed by the
// target's bucket policy (with aws:SourceAccount and aws:SourceArn of the
// source bucket) or, while the target's ACLs are enabled, by a WRITE grant
// to the LogDelivery group; an explicit Deny refuses it. The log object
// belongs to the target bucket's owner (an assumption: AWS documents that
// the bucket owner gets full control of its logs). A delivery that is not
// allowed is reported, as S3 would silently drop it.
func (e *Emulator) DeliverAccessLogs() []LogDelivery {
	st := e.s3
	st.mu.RLock()
	var sources []*s3Bucket
	for _, b := range st.buckets {
		sources = append(sources, b)
	}
	st.mu.RUnlock()
	sort.Slice(sources, func(i, j int) bool { return sources[i].name < sources[j].name })
	var out []LogDelivery
	for _, src := range sources {
		src.mu.RLock()
		l := src.logging
		src.mu.RUnlock()
		if l == nil {
			continue
		}
		d := LogDelivery{SourceBucket: src.name, TargetBucket: l.targetBucket}
		d.Key, d.Error = st.deliverLog(src, l)
		out = append(out, d)
	}
	return out
}

// deliverLog writes one log record of src into its target bucket.
func (st *s3Store) deliverLog(src *s3Bucket, l *bucketLogging) (key, errCode string) {
	target := st.bucket(l.targetBucket)
	if target == nil {
		return "", "NoSuchBucket"
	}
	target.mu.Lock()
	defer target.mu.Unlock()
	key = fmt.Sprintf("%s%s-%06d", l.targetPrefix, s3BaseTime.Format("2006-01-02-15-04-05"), target.seq)
	pc := policyContext{
		action:   "s3:PutObject",
		resource: target.name + "/" + key,
		service:  logDeliveryService,
		keys: map[string]string{
			"aws:sourceaccount": src.account,
			"aws:sourcearn":     "arn:aws:s3:::" + src.name,
		},
	}
	allowed := false
	switch target.policy.decide(pc) {
	case policyDenies:
		return "", "AccessDenied"
	case policyAllows:
		allowed = true
	}
	if !allowed && target.ownership != ownershipEnforced {
		for _, g := range target.acl {
			if g.uri == groupLogDelivery && (g.permission == permWrite || g.permission == permFullControl) {
				allowed = true
			}
		}
	}
	if !allowed {
		return "", "AccessDenied"
	}
	record := fmt.Sprintf("%s %s [%s] - - - REST.GET.OBJECT - \"GET / HTTP/1.1\" 200 - - - - - \"-\" \"fakeaws\" -\n",
		src.ownerCanonical, src.name, s3BaseTime.Format("02/Jan/2006:15:04:05 -0700"))
	content := []byte(record)
	v := &s3Version{
		writer: target.ownerCanonical, owner: target.ownerCanonical, acl: aclBucketOwnerFullControl,
		size: int64(len(content)), etag: quotedMD5(content), content: content, contentType: "text/plain",
	}
	target.putVersion(key, v)
	return key, ""
}

// validateLogging checks a bucket's logging target: S3 delivers only to a
// bucket of the same account and region.
func (v *validator) validateLogging(path string, b *BucketSpec, all []BucketSpec) {
	l := b.Logging
	if l == nil {
		return
	}
	for i := range all {
		t := &all[i]
		if t.Name != l.TargetBucket {
			continue
		}
		if t.Account != b.Account || t.Region != b.Region {
			v.add(path+".logging.target_bucket", "%q is in account %s, region %s: S3 delivers access logs only to a bucket of the same account and region (%s, %s)",
				l.TargetBucket, t.Account, t.Region, b.Account, b.Region)
		}
		if len(l.TargetPrefix) > 900 {
			v.add(path+".logging.target_prefix", "must be at most 900 bytes")
		}
		return
	}
	v.add(path+".logging.target_bucket", "unknown bucket %q (not in buckets)", l.TargetBucket)
}

// validatePolicy checks a bucket's policy as PutBucketPolicy would, and
// that writers and policy are not both given.
func (v *validator) validatePolicy(path string, b *BucketSpec) {
	if b.Policy == "" {
		return
	}
	if len(b.Writers) > 0 {
		v.add(path+".writers", "a bucket has writers (shorthand for a policy statement) or a policy, not both: put the writers' statement into the policy")
	}
	if _, serr := parseBucketPolicy(b.Name, b.Policy); serr != nil {
		v.add(path+".policy", "%s: %s", serr.code, strings.TrimSpace(serr.message))
	}
}
