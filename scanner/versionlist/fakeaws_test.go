package versionlist

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/ownerscan/ownerscan/internal/fakeaws"
)

// TestListAllAgainstEmulator: exactness on the project's emulator, a
// generated bucket with several versions per key plus stored objects
// around split points, compared with a serial SDK listing.
func TestListAllAgainstEmulator(t *testing.T) {
	sc, err := fakeaws.ParseScenario([]byte(`
management_account: "111111111111"
accounts:
  - {id: "111111111111", name: Mgmt}
  - {id: "222222222222", name: Member}
buckets:
  - name: big
    account: "222222222222"
    ownership: ObjectWriter
    versioning: Enabled
    writers: ["111111111111"]
    objects:
      - {key: a, versions: 3}
      - {key: "a!"}
      - {key: a/}
      - {key: a0, uploader: "111111111111", versions: 2}
      - {key: b, delete: true}
      - {key: "日本/x", versions: 2}
      - {key: "sp ace+plus%"}
    generated: {count: 2500, key_prefix: "data/", versions_per_key: 3}
`))
	if err != nil {
		t.Fatalf("the emulator refused the scenario: %v", err)
	}
	srv, err := fakeaws.NewServer(sc, "")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ak, sk, ok := srv.Emulator.CredentialsFor("222222222222")
	if !ok {
		t.Fatal("no credentials for the bucket owner")
	}
	c := newTestClient(srv.URL, func(o *s3.Options) { o.Credentials = credentials.NewStaticCredentialsProvider(ak, sk, "") })
	// The emulator's pages must take the fast path, not the fallback.
	p := new(Page)
	fast, err := listPageInto(context.Background(), c, &s3.ListObjectVersionsInput{Bucket: aws.String("big"), EncodingType: types.EncodingTypeUrl}, p, false)
	if err != nil || !fast || len(p.Entries) == 0 {
		t.Fatalf("emulator page: fast %v, %d entries, %v", fast, len(p.Entries), err)
	}
	want := serialList(t, c, "big")
	if n := emulatorVersions(t, srv.Emulator, "big"); int64(len(want)) != n {
		t.Fatalf("a serial listing shows %d entries, the emulator holds %d", len(want), n)
	}
	for _, opts := range []Options{{Parallelism: 1}, {Parallelism: 8, MaxKeys: 97}, {Parallelism: 16, MaxKeys: 500}} {
		got, st := parallelList(t, c, "big", opts)
		requireExact(t, fmt.Sprintf("%+v", opts), got, want)
		t.Logf("%+v: %d entries, %d calls, %d ranges", opts, len(got), st.Calls, st.Ranges)
	}
}

// emulatorVersions is how many versions and delete markers the emulator
// holds in bucket, from its own state.
func emulatorVersions(t testing.TB, e *fakeaws.Emulator, bucket string) int64 {
	t.Helper()
	for _, b := range e.Buckets() {
		if b.Name == bucket {
			return b.Versions
		}
	}
	t.Fatalf("the emulator has no bucket %s", bucket)
	return 0
}
