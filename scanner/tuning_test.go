package scanner

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// TestOptionsOfNew: the tuning options take what they document and refuse
// the rest, naming it.
func TestOptionsOfNew(t *testing.T) {
	cfg := aws.Config{Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")}
	s, err := New(cfg, DefaultOptions(), nil, WithListBucketsPageSize(7), WithStopGrace(0))
	if err != nil || s.tune.listBucketsPage != 7 || s.tune.stopGrace != 0 {
		t.Fatalf("New: %v, tuning %+v", err, s.tune)
	}
	if s, _ := New(cfg, DefaultOptions(), nil); s.tune != defaultTuning() || s.tune.listBucketsPage != 10000 || s.tune.stopGrace != StopGrace {
		t.Errorf("default tuning %+v", s.tune)
	}
	for _, o := range []Option{WithListBucketsPageSize(0), WithListBucketsPageSize(10001), WithStopGrace(-time.Second)} {
		if _, err := New(cfg, DefaultOptions(), nil, o); err == nil || !strings.Contains(err.Error(), "must") {
			t.Errorf("New accepted an invalid option: %v", err)
		}
	}
}
