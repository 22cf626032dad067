package sabotage

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// listBucketsPage stands in for the emulator: GET / (ListBuckets, as the
// emulator classifies an unsigned request) answers a one-bucket page.
var listBucketsPage = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/xml")
	io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`+
		`<Owner><ID>o</ID></Owner><Buckets><Bucket><Name>b</Name></Bucket></Buckets></ListAllMyBucketsResult>`)
})

func get(t *testing.T, p *Proxy) (*http.Response, []byte) {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(p.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// TestModes: each mode answers what it says; requests no rule picks (and
// those past First) are forwarded; the counters see both.
func TestModes(t *testing.T) {
	for _, tc := range []struct {
		mode   Mode
		status int
		check  func(body []byte) bool
	}{
		{HTML, 200, func(b []byte) bool { return bytes.HasPrefix(b, []byte("<!DOCTYPE html>")) }},
		{Empty, 200, func(b []byte) bool { return len(b) == 0 }},
		{WrongRoot, 200, func(b []byte) bool { return bytes.Contains(b, []byte("<ListBucketResult")) }},
		{RedirectSelf, 307, func(b []byte) bool { return true }},
		{StuckToken, 200, func(b []byte) bool {
			return bytes.Contains(b, []byte("<ContinuationToken>"+StuckTokenValue+"</ContinuationToken></ListAllMyBucketsResult>"))
		}},
		{NoEntries, 200, func(b []byte) bool {
			return bytes.HasSuffix(b, []byte("<Owner><ID>sabotage</ID></Owner><Buckets></Buckets></ListAllMyBucketsResult>"))
		}},
		{EndlessPage, 200, func(b []byte) bool { return len(b) == 1<<20 && bytes.Count(b, []byte("<Bucket>")) > 1000 }},
		{EndlessBody, 200, func(b []byte) bool {
			return len(b) == 1<<20 && bytes.Contains(b, []byte(`2006-03-01/">sabotage sabotage`))
		}},
	} {
		p := Start(listBucketsPage, Rule{Operation: "ListBuckets", Mode: tc.mode, First: 1})
		resp, body := get(t, p)
		if resp.StatusCode != tc.status || !tc.check(body) {
			t.Errorf("%s: status %d, body %.200q", tc.mode, resp.StatusCode, body)
		}
		if tc.mode == RedirectSelf && resp.Header.Get("Location") != p.URL+"/" {
			t.Errorf("redirect to %q", resp.Header.Get("Location"))
		}
		if _, body := get(t, p); !bytes.Contains(body, []byte("<Name>b</Name>")) {
			t.Errorf("%s: the request after First was not forwarded: %.200q", tc.mode, body)
		}
		if p.Requests("ListBuckets") != 2 || p.Sabotaged("ListBuckets") != 1 {
			t.Errorf("%s: counters %d %d", tc.mode, p.Requests("ListBuckets"), p.Sabotaged("ListBuckets"))
		}
		p.Close()
	}
}

// TestSlowDrip: headers at once, the body a byte per interval.
func TestSlowDrip(t *testing.T) {
	p := Start(listBucketsPage, Rule{Operation: "ListBuckets", Mode: SlowDrip, Interval: time.Millisecond})
	defer p.Close()
	start := time.Now()
	_, body := get(t, p)
	if !bytes.Contains(body, []byte("<Name>b</Name>")) || time.Since(start) < time.Duration(len(body))*time.Millisecond/2 {
		t.Errorf("%v for %d bytes: %q", time.Since(start), len(body), body)
	}
}

// TestEndlessPagesAreWellFormed: the entries of endless pages parse.
func TestEndlessPagesAreWellFormed(t *testing.T) {
	for _, op := range []string{"ListObjectVersions", "ListBuckets", "ListAccounts"} {
		head, entry, ok := endlessPage(op, "b")
		if !ok {
			t.Fatalf("%s: no endless page", op)
		}
		doc := head + entry(0) + entry(1)
		var err error
		if strings.HasPrefix(head, "{") {
			var v map[string]any
			err = json.Unmarshal([]byte(strings.TrimSuffix(doc, ",")+"]}"), &v)
		} else {
			d := xml.NewDecoder(strings.NewReader(doc))
			for err == nil {
				_, err = d.Token()
			}
			if err == io.EOF || strings.Contains(err.Error(), "unexpected EOF") {
				err = nil
			}
		}
		if err != nil {
			t.Errorf("%s: %v\n%s", op, err, doc)
		}
	}
}

// TestStuckTokenRewrites: the page a stuck listing replays asks for the
// same next page.
func TestStuckTokenRewrites(t *testing.T) {
	if got := string(withStuckToken("ListAccounts", []byte(`{"Accounts":[],"NextToken":null}`))); got != `{"Accounts":[],"NextToken":"`+StuckTokenValue+`"}` {
		t.Errorf("ListAccounts: %s", got)
	}
	got := string(withStuckToken("ListObjectVersions", []byte(`<ListVersionsResult><IsTruncated>false</IsTruncated><NextKeyMarker>a</NextKeyMarker></ListVersionsResult>`)))
	if got != `<ListVersionsResult><IsTruncated>true</IsTruncated><NextKeyMarker>`+StuckTokenValue+`</NextKeyMarker><NextVersionIdMarker>`+StuckTokenValue+`</NextVersionIdMarker></ListVersionsResult>` {
		t.Errorf("ListObjectVersions: %s", got)
	}
}
