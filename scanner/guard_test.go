package scanner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/ownerscan/ownerscan/internal/answer"
)

// TestHeadProblem: what answerGuard refuses at the start of a 2xx answer,
// and what it lets through (S3 may omit the Content-Type; S3's <Error> in a
// 200 is the SDK's to turn into a 500).
func TestHeadProblem(t *testing.T) {
	acl, _ := specFor("S3", "GetBucketAcl")
	accounts, _ := specFor("Organizations", "ListAccounts")
	ok := `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner>`
	for _, tc := range []struct {
		spec          answerSpec
		service, ct   string
		head, problem string
	}{
		{acl, "S3", "application/xml", ok, ""},
		{acl, "S3", "", ok, ""},
		{acl, "S3", "text/xml; charset=utf-8", ok, ""},
		{acl, "S3", "text/html; charset=utf-8", "<!DOCTYPE html><html>", "an HTML page (Content-Type text/html; charset=utf-8) where"},
		{acl, "S3", "application/json", "{}", "Content-Type application/json where"},
		{acl, "S3", "application/xml", "", "an empty answer"},
		{acl, "S3", "", "<html><head><title>Login", "an HTML page"},
		{acl, "S3", "application/xml", "<ListBucketResult>", "root element <ListBucketResult>"},
		{acl, "S3", "application/xml", "<Error><Code>InternalError</Code>", ""},
		{acl, "STS", "text/xml", "<Error><Code>InternalError</Code>", "root element <Error>"},
		{accounts, "Organizations", "text/html", `{"Accounts":[]}`, ""},
		{accounts, "Organizations", "application/x-amz-json-1.1", "", "an empty answer where a JSON object"},
		{accounts, "Organizations", "application/x-amz-json-1.1", "<html>", "an HTML page where a JSON object"},
		{accounts, "Organizations", "text/html", "Sign in", "an HTML page where a JSON object"},
		{accounts, "Organizations", "application/x-amz-json-1.1", "<ListAccountsResponse>", "not a JSON object"},
		{accounts, "Organizations", "application/x-amz-json-1.1", "[]", "not a JSON object"},
	} {
		got := headProblem(tc.spec, tc.service, tc.ct, []byte(tc.head))
		if tc.problem == "" && got != "" || tc.problem != "" && !strings.HasPrefix(got, tc.problem) {
			t.Errorf("%s %q %q: %q, want %q", tc.service, tc.ct, tc.head, got, tc.problem)
		}
	}
}

// TestPageGuard: a token followed before fails at once; pages bringing
// nothing new fail after maxPagesWithoutProgress; an empty page now and
// then does not.
func TestPageGuard(t *testing.T) {
	var g pageGuard
	for i, step := range []struct {
		token    string
		progress bool
	}{{"a", true}, {"b", false}, {"c", true}, {"", false}} {
		if err := g.next(step.token, step.progress); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	g = pageGuard{}
	_ = g.next("a", true)
	_ = g.next("b", true)
	if err := g.next("a", true); err == nil || !strings.Contains(err.Error(), "already followed") {
		t.Errorf("a cycle of tokens: %v", err)
	}
	g = pageGuard{}
	var err error
	pages := 0
	for err == nil && pages < 100 {
		pages++
		err = g.next(fmt.Sprint("t", pages), false)
	}
	if err == nil || pages != maxPagesWithoutProgress {
		t.Errorf("fresh tokens, nothing new: %d pages, %v", pages, err)
	}
}

// TestAWSErrorText: answers that were not documents and attempts that
// timed out read as what happened, with the attempts made.
func TestAWSErrorText(t *testing.T) {
	ae := &answer.Error{Operation: "GetBucketAcl", Problem: "an HTML page where a <AccessControlPolicy> document was expected", Excerpt: "<html>"}
	wrapped := fmt.Errorf("operation error S3: GetBucketAcl: %w", &retry.MaxAttemptsError{Attempt: 10, Err: ae})
	if got := awsErrorText(wrapped); got != "an HTML page where a <AccessControlPolicy> document was expected; it began: <html> (after 10 attempts)" {
		t.Errorf("%q", got)
	}
	timedOut := &timedOutCallError{attempts: 3, err: attemptTimeoutError{after: 30e9}}
	if got := awsErrorText(fmt.Errorf("op: %w", timedOut)); got != "no complete answer within 30s (3 attempts timed out)" {
		t.Errorf("%q", got)
	}
	if timedOut.RetryableError() || !errors.As(timedOut, new(attemptTimeoutError)) {
		t.Error("a call whose attempts timed out is retried, or hides why")
	}
}

// TestGatedBody: past its first bytes, a body waits for the large-answer
// slot while another holds it, gets it once that one is closed, and gives
// up when its call ends.
func TestGatedBody(t *testing.T) {
	slots := make(chan struct{}, 1)
	body := func(ctx context.Context) *gatedBody {
		return &gatedBody{ReadCloser: io.NopCloser(strings.NewReader("0123456789")), ctx: ctx, slots: slots, before: 4}
	}
	first := body(context.Background())
	if got, err := io.ReadAll(first); string(got) != "0123456789" || err != nil {
		t.Fatalf("%q %v", got, err)
	}
	holder := body(context.Background())
	buf := make([]byte, 8)
	if n, _ := holder.Read(buf); n != 4 {
		t.Fatalf("read %d bytes before the gate, want 4", n)
	}
	if _, err := holder.Read(buf); err != nil || !holder.holding {
		t.Fatalf("holder: %v, holding %v", err, holder.holding)
	}
	ctx, cancel := context.WithCancel(context.Background())
	waiter := body(ctx)
	waiter.Read(buf)
	done := make(chan error, 1)
	go func() { _, err := waiter.Read(buf); done <- err }()
	select {
	case err := <-done:
		t.Fatalf("read past the gate while the slot is held: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("waiter: %v", err)
	}
	holder.Close()
	if len(slots) != 0 {
		t.Error("the slot was not given back")
	}
}

// TestBoundsOptions: WithAttemptTimeout and WithMaxBackoff take what they
// document and refuse the rest; by default a scan has the documented
// bounds.
func TestBoundsOptions(t *testing.T) {
	cfg := aws.Config{Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")}
	s, err := New(cfg, DefaultOptions(), nil, WithAttemptTimeout(time.Second), WithMaxBackoff(0))
	if err != nil || s.tune.attemptTimeout != time.Second || s.tune.maxBackoff != 0 {
		t.Fatalf("New: %v, tuning %+v", err, s.tune)
	}
	if d := defaultTuning(); d.attemptTimeout != 30*time.Second || d.maxBackoff != 5*time.Second {
		t.Errorf("default tuning %+v", d)
	}
	for _, o := range []Option{WithAttemptTimeout(time.Millisecond), WithAttemptTimeout(time.Hour), WithMaxBackoff(-time.Second), WithMaxBackoff(time.Hour)} {
		if _, err := New(cfg, DefaultOptions(), nil, o); err == nil || !strings.Contains(err.Error(), "must") {
			t.Errorf("New accepted an invalid option: %v", err)
		}
	}
}
