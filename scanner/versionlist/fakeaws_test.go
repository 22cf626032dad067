package versionlist

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/ownerscan/ownerscan/internal/fakeaws"
)

// TestListAllAgainstEmulator: exactness on the project's emulator, for a
// generated bucket of each key shape (padded counters, random-width names,
// deep and shallow folders, skewed folders, unicode) with several versions
// per key, plus stored objects among them (a "~" keeps them apart from
// generated names): every listing equals a serial SDK listing, which holds
// exactly what the emulator holds.
func TestListAllAgainstEmulator(t *testing.T) {
	var yml strings.Builder
	yml.WriteString(`
management_account: "111111111111"
accounts:
  - {id: "111111111111", name: Mgmt}
  - {id: "222222222222", name: Member}
buckets:
`)
	for _, shape := range fakeaws.KeyShapes() {
		fmt.Fprintf(&yml, `
  - name: big-%s
    account: "222222222222"
    ownership: ObjectWriter
    versioning: Enabled
    writers: ["111111111111"]
    objects:
      - {key: "data/", versions: 3}
      - {key: "data/!"}
      - {key: "data/0~", uploader: "111111111111", versions: 2}
      - {key: "data/a/~"}
      - {key: "data/m~/x", versions: 2}
      - {key: "data/~", delete: true}
      - {key: "data/日本~/x", versions: 2}
      - {key: "data/sp ace+plus%%~"}
    generated: {count: 1500, key_prefix: "data/", versions_per_key: 3, key_shape: %s}
`, shape, shape)
	}
	sc, err := fakeaws.ParseScenario([]byte(yml.String()))
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
	for _, shape := range fakeaws.KeyShapes() {
		bucket := "big-" + shape
		// The emulator's pages must take the fast path, not the fallback.
		p := new(Page)
		fast, err := listPageInto(context.Background(), c, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket), EncodingType: types.EncodingTypeUrl}, p, false)
		if err != nil || !fast || len(p.Entries) == 0 {
			t.Fatalf("%s: emulator page: fast %v, %d entries, %v", shape, fast, len(p.Entries), err)
		}
		want := serialList(t, c, bucket)
		if n := emulatorVersions(t, srv.Emulator, bucket); int64(len(want)) != n {
			t.Fatalf("%s: a serial listing shows %d entries, the emulator holds %d", shape, len(want), n)
		}
		split := false
		for _, opts := range []Options{{Parallelism: 1}, {Parallelism: 8, MaxKeys: 97}, {Parallelism: 16, MaxKeys: 500}, {Parallelism: 16, MaxKeys: 50}} {
			got, st := parallelList(t, c, bucket, opts)
			requireExact(t, fmt.Sprintf("%s %+v", shape, opts), got, want)
			split = split || st.Ranges > 1
			t.Logf("%s parallelism %d, max keys %d: %d entries, %d calls, %d ranges", shape, opts.Parallelism, opts.MaxKeys, len(got), st.Calls, st.Ranges)
		}
		if !split {
			t.Errorf("%s: never listed as more than one range; the test means to check splits", shape)
		}
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
