package scanner

import (
	"context"
	"log/slog"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/ownerscan/ownerscan/internal/fakeaws"
)

// emulate serves sc on loopback for the test.
func emulate(t *testing.T, sc *fakeaws.Scenario) *fakeaws.Server {
	t.Helper()
	srv, err := fakeaws.NewServer(sc, "")
	if err != nil {
		t.Fatalf("fakeaws.NewServer: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// emulateYAML parses a scenario and serves it.
func emulateYAML(t *testing.T, yml string) *fakeaws.Server {
	t.Helper()
	sc, err := fakeaws.ParseScenario([]byte(yml))
	if err != nil {
		t.Fatalf("ParseScenario: %v", err)
	}
	return emulate(t, sc)
}

// awsConfigFor is the config a user gets with AWS_ENDPOINT_URL pointing at
// the emulator and the management account's keys.
func awsConfigFor(srv *fakeaws.Server) aws.Config {
	ak, sk := srv.Emulator.ManagementCredentials()
	return aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(ak, sk, ""),
		BaseEndpoint: aws.String(srv.URL),
	}
}

func testLogger() *slog.Logger {
	if os.Getenv("SCANNER_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// scanEmulator runs a real scan (real SDK clients over HTTP) against srv.
func scanEmulator(t *testing.T, srv *fakeaws.Server, opts Options, sink ObjectSink) *Result {
	t.Helper()
	res, err := scanEmulatorErr(t, context.Background(), srv, opts, sink)
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	return res
}

func scanEmulatorErr(t *testing.T, ctx context.Context, srv *fakeaws.Server, opts Options, sink ObjectSink, tune ...Option) (*Result, error) {
	t.Helper()
	s, err := New(awsConfigFor(srv), opts, testLogger(), tune...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	res, err := s.Scan(ctx, sink, nil)
	if res == nil {
		t.Fatal("Scan returned a nil Result")
	}
	return res, err
}

// emulatorVersions is how many versions and delete markers the emulator
// holds in bucket, read from its own state: not from any listing.
func emulatorVersions(t *testing.T, srv *fakeaws.Server, bucket string) int64 {
	t.Helper()
	for _, b := range srv.Emulator.Buckets() {
		if b.Name == bucket {
			return b.Versions
		}
	}
	t.Fatalf("the emulator has no bucket %s", bucket)
	return 0
}

func bucketByName(t *testing.T, res *Result, name string) Bucket {
	t.Helper()
	for _, b := range res.Buckets {
		if b.Name == name {
			return b
		}
	}
	t.Fatalf("bucket %s not in result", name)
	return Bucket{}
}

func accountByID(t *testing.T, res *Result, id string) Account {
	t.Helper()
	for _, a := range res.Accounts {
		if a.ID == id {
			return a
		}
	}
	t.Fatalf("account %s not in result", id)
	return Account{}
}

func findingsOf(res *Result, typ FindingType, bucket string) []Finding {
	var out []Finding
	for _, f := range res.Findings {
		if f.Type == typ && f.Bucket == bucket {
			out = append(out, f)
		}
	}
	return out
}
