package fakeaws

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// listScenario: "many" has 700 keys x 3 versions (2100 versions) plus 50
// delete markers; "flat" has 2500 keys in a tree; "gen" is generated.
func listScenario() *Scenario {
	var many, flat []ObjectSpec
	for i := range 700 {
		many = append(many, ObjectSpec{Key: fmt.Sprintf("k/%04d", i), Versions: 3, Size: int64(i)})
	}
	for i := 0; i < 700; i += 14 {
		many = append(many, ObjectSpec{Key: fmt.Sprintf("k/%04d", i), Delete: true})
	}
	for i := range 2500 {
		flat = append(flat, ObjectSpec{Key: fmt.Sprintf("dir%d/sub%d/file%04d", i%5, i%3, i), Size: 1})
	}
	return s3TestScenario(
		BucketSpec{Name: "many", Account: acctB, Versioning: versioningEnabled, Ownership: ownershipWriter, Objects: many},
		BucketSpec{Name: "flat", Account: acctB, Objects: flat},
		BucketSpec{Name: "gen", Account: acctB, Versioning: versioningEnabled, Ownership: ownershipWriter, Writers: []string{acctC},
			Generated: &GeneratedSpec{Count: 2500, KeyPrefix: "data/", VersionsPerKey: 2,
				Foreign: map[string]float64{acctC: 0.25, "external:" + externalOwner: 0.05}}},
		BucketSpec{Name: "gen-enforced", Account: acctB, Writers: []string{acctC},
			Generated: &GeneratedSpec{Count: 100, KeyPrefix: "x-", Foreign: map[string]float64{acctC: 0.5}}},
		BucketSpec{Name: "keys", Account: acctB, Ownership: ownershipWriter},
	)
}

func TestListObjectVersionsPaging(t *testing.T) {
	env := newS3Env(t, listScenario())
	b := env.client(acctB)
	for _, maxKeys := range []int32{0, 7, 1000} {
		in := &s3.ListObjectVersionsInput{Bucket: aws.String("many")}
		if maxKeys > 0 {
			in.MaxKeys = aws.Int32(maxKeys)
		}
		vs, pages := listAllVersions(t, b, in)
		wantPages := (2150 + int(max(maxKeys, 1000)) - 1) / int(max(maxKeys, 1000))
		if maxKeys == 7 {
			wantPages = (2150 + 6) / 7
		}
		if len(vs) != 2150 || pages != wantPages {
			t.Fatalf("max-keys %d: %d entries in %d pages, want 2150 in %d", maxKeys, len(vs), pages, wantPages)
		}
		seen := map[string]bool{}
		latest, markers := 0, 0
		for _, v := range vs {
			if seen[v.key+"@"+v.id] {
				t.Fatalf("max-keys %d: %s@%s listed twice", maxKeys, v.key, v.id)
			}
			seen[v.key+"@"+v.id] = true
			if v.latest {
				latest++
			}
			if v.marker {
				markers++
			}
		}
		if latest != 700 || markers != 50 {
			t.Fatalf("max-keys %d: %d latest, %d markers", maxKeys, latest, markers)
		}
	}
	// Versions come in key order, newest first within a key.
	out, err := b.ListObjectVersions(context.Background(), &s3.ListObjectVersionsInput{Bucket: aws.String("many"), Prefix: aws.String("k/001"), MaxKeys: aws.Int32(1000)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Versions) != 30 || !aws.ToBool(out.Versions[0].IsLatest) || aws.ToBool(out.Versions[1].IsLatest) ||
		!out.Versions[0].LastModified.After(*out.Versions[1].LastModified) || aws.ToString(out.Versions[3].Key) != "k/0011" {
		t.Fatalf("order within prefix k/001: %d versions, first %+v", len(out.Versions), out.Versions[0])
	}
	_, err = b.ListObjectVersions(context.Background(), &s3.ListObjectVersionsInput{Bucket: aws.String("many"), VersionIdMarker: aws.String("x")})
	wantErr(t, err, "InvalidArgument", 400)
	_, err = env.client(acctC).ListObjectVersions(context.Background(), &s3.ListObjectVersionsInput{Bucket: aws.String("many")})
	wantErr(t, err, "AccessDenied", 403)
}

func TestListObjectsV2Paging(t *testing.T) {
	env := newS3Env(t, listScenario())
	b := env.client(acctB)
	ctx := context.Background()
	listKeys := func(in *s3.ListObjectsV2Input) (keys, prefixes []string, pages int) {
		t.Helper()
		p := s3.NewListObjectsV2Paginator(b, in)
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			if int(aws.ToInt32(out.KeyCount)) != len(out.Contents)+len(out.CommonPrefixes) {
				t.Fatalf("KeyCount %d for %d entries", aws.ToInt32(out.KeyCount), len(out.Contents)+len(out.CommonPrefixes))
			}
			for _, o := range out.Contents {
				keys = append(keys, aws.ToString(o.Key))
				if (o.Owner != nil) != aws.ToBool(in.FetchOwner) {
					t.Fatalf("Owner present=%v with fetch-owner=%v", o.Owner != nil, aws.ToBool(in.FetchOwner))
				}
			}
			for _, cp := range out.CommonPrefixes {
				prefixes = append(prefixes, aws.ToString(cp.Prefix))
			}
		}
		return keys, prefixes, pages
	}
	keys, _, pages := listKeys(&s3.ListObjectsV2Input{Bucket: aws.String("flat")})
	if len(keys) != 2500 || pages != 3 || !sort.StringsAreSorted(keys) {
		t.Fatalf("flat: %d keys in %d pages (sorted %v)", len(keys), pages, sort.StringsAreSorted(keys))
	}
	keys, _, pages = listKeys(&s3.ListObjectsV2Input{Bucket: aws.String("flat"), MaxKeys: aws.Int32(333), FetchOwner: aws.Bool(true)})
	if len(keys) != 2500 || pages != 8 {
		t.Fatalf("flat by 333: %d keys in %d pages", len(keys), pages)
	}
	// Delimiter: common prefixes paged one at a time, never repeated.
	_, prefixes, pages := listKeys(&s3.ListObjectsV2Input{Bucket: aws.String("flat"), Delimiter: aws.String("/"), MaxKeys: aws.Int32(1)})
	if strings.Join(prefixes, ",") != "dir0/,dir1/,dir2/,dir3/,dir4/" || pages != 5 {
		t.Fatalf("top-level prefixes %v in %d pages", prefixes, pages)
	}
	_, prefixes, _ = listKeys(&s3.ListObjectsV2Input{Bucket: aws.String("flat"), Delimiter: aws.String("/"), Prefix: aws.String("dir2/")})
	if strings.Join(prefixes, ",") != "dir2/sub0/,dir2/sub1/,dir2/sub2/" {
		t.Fatalf("dir2 prefixes %v", prefixes)
	}
	keys, _, _ = listKeys(&s3.ListObjectsV2Input{Bucket: aws.String("flat"), Prefix: aws.String("dir4/sub1/"), StartAfter: aws.String("dir4/sub1/file2000")})
	if len(keys) != 33 || keys[0] <= "dir4/sub1/file2000" {
		t.Fatalf("start-after: %d keys from %v", len(keys), keys[:1])
	}
	// Keys whose latest version is a delete marker are not listed.
	keys, _, _ = listKeys(&s3.ListObjectsV2Input{Bucket: aws.String("many")})
	if len(keys) != 650 {
		t.Fatalf("many: %d visible keys, want 650", len(keys))
	}
	_, err := b.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("flat"), ContinuationToken: aws.String("!!")})
	wantErr(t, err, "InvalidArgument", 400)
}

// TestKeysWithSpecialCharacters: unicode, spaces, newlines, '%', '+',
// control characters round-trip, XML-escaped plainly and URL-encoded with
// encoding-type=url (decoded here with url.PathUnescape).
func TestKeysWithSpecialCharacters(t *testing.T) {
	env := newS3Env(t, listScenario())
	b := env.client(acctB)
	ctx := context.Background()
	keys := []string{
		"ünïcödé/файл 名前.txt", "with space", "new\nline", "carriage\rreturn", "percent%25%", "plus+sign",
		"tab\tkey", "amp&<lt>\"quote'", "ctrl\x01char", "emoji/🙂", "dir/./dots/../x", "double//slash",
	}
	for _, k := range keys {
		put(t, b, "keys", k, "v:"+k)
		if got := getBody(t, b, "keys", k); got != "v:"+k {
			t.Fatalf("GetObject %q: %q", k, got)
		}
	}
	want := append([]string(nil), keys...)
	sort.Strings(want)

	out, err := b.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("keys"), EncodingType: types.EncodingTypeUrl})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range out.Contents {
		raw := aws.ToString(o.Key)
		if strings.ContainsAny(raw, " \n\r\t+\x01") {
			t.Fatalf("encoding-type=url key not encoded: %q", raw)
		}
		k, err := url.PathUnescape(raw)
		if err != nil {
			t.Fatalf("decode %q: %v", raw, err)
		}
		got = append(got, k)
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("url-encoded listing:\n got %q\nwant %q", got, want)
	}

	// Without encoding, XML carries every key except the control character
	// one (XML 1.0 cannot), which S3 clients must list with encoding-type=url.
	vout, err := b.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String("keys")})
	if err != nil {
		t.Fatal(err)
	}
	got = got[:0]
	for _, v := range vout.Versions {
		got = append(got, aws.ToString(v.Key))
	}
	for i, k := range want {
		if strings.Contains(k, "\x01") {
			if got[i] != strings.ReplaceAll(k, "\x01", "\uFFFD") {
				t.Fatalf("control character key listed as %q", got[i])
			}
			continue
		}
		if got[i] != k {
			t.Fatalf("plain listing entry %d: %q, want %q", i, got[i], k)
		}
	}

	// Versions paging with encoding-type=url: NextKeyMarker comes back
	// encoded like the keys, and the SDK does not decode it, so a client must
	// decode it before sending it back as key-marker (the SDK paginator does
	// not, and would loop on such keys, against S3 as here).
	in := &s3.ListObjectVersionsInput{Bucket: aws.String("keys"), MaxKeys: aws.Int32(1), EncodingType: types.EncodingTypeUrl}
	var listed []string
	for pages := 0; ; pages++ {
		if pages > len(keys) {
			t.Fatalf("encoded version paging did not end after %d pages", pages)
		}
		page, err := b.ListObjectVersions(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range page.Versions {
			k, _ := url.PathUnescape(aws.ToString(v.Key))
			listed = append(listed, k)
		}
		if !aws.ToBool(page.IsTruncated) {
			break
		}
		marker, err := url.PathUnescape(aws.ToString(page.NextKeyMarker))
		if err != nil || marker != listed[len(listed)-1] {
			t.Fatalf("NextKeyMarker %q decodes to %q, want %q", aws.ToString(page.NextKeyMarker), marker, listed[len(listed)-1])
		}
		in.KeyMarker, in.VersionIdMarker = aws.String(marker), page.NextVersionIdMarker
	}
	if strings.Join(listed, "|") != strings.Join(want, "|") {
		t.Fatalf("encoded version paging listed %q", listed)
	}
	vout, err = b.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String("keys"), Prefix: aws.String("with "),
		Delimiter: aws.String(" "), EncodingType: types.EncodingTypeUrl})
	if err != nil || aws.ToString(vout.Prefix) != "with%20" || aws.ToString(vout.Delimiter) != "%20" {
		t.Fatalf("encoded prefix/delimiter: %+v %v", vout, err)
	}
}

func TestGeneratedBucket(t *testing.T) {
	env := newS3Env(t, listScenario())
	b := env.client(acctB)
	ctx := context.Background()
	// Stored objects merge with generated ones in key order.
	put(t, b, "gen", "a-before", "x")
	put(t, b, "gen", "data/0001x-between", "x")
	put(t, b, "gen", "zz-after", "x")
	p := s3.NewListObjectVersionsPaginator(b, &s3.ListObjectVersionsInput{Bucket: aws.String("gen")})
	var keys []string
	owners := map[string]int{}
	latest, pages := 0, 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, v := range out.Versions {
			if aws.ToBool(v.IsLatest) {
				latest++
				keys = append(keys, aws.ToString(v.Key))
				owners[aws.ToString(v.Owner.ID)]++
			}
		}
	}
	if len(keys) != 2503 || latest != 2503 || pages != 6 || !sort.StringsAreSorted(keys) {
		t.Fatalf("generated listing: %d keys in %d pages, sorted=%v", len(keys), pages, sort.StringsAreSorted(keys))
	}
	if keys[0] != "a-before" || keys[1] != "data/0000" || keys[3] != "data/0001x-between" || keys[2502] != "zz-after" {
		t.Fatalf("merge order: %v %v %v", keys[:3], keys[2:5], keys[2502])
	}
	c, ext := owners[CanonicalIDFor(acctC)], owners[externalOwner]
	if c < 500 || c > 750 || ext < 60 || ext > 200 {
		t.Fatalf("owner fractions off: C %d, external %d of 2500 (want about 625 and 125)", c, ext)
	}

	// Reads follow the generated owner.
	var ownKey, foreignKey string
	out, _ := b.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String("gen"), Prefix: aws.String("data/")})
	for _, v := range out.Versions {
		switch {
		case aws.ToString(v.Owner.ID) == CanonicalIDFor(acctB) && ownKey == "":
			ownKey = aws.ToString(v.Key)
		case aws.ToString(v.Owner.ID) == CanonicalIDFor(acctC) && foreignKey == "":
			foreignKey = aws.ToString(v.Key)
		}
	}
	h, err := b.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("gen"), Key: aws.String(ownKey)})
	if err != nil || aws.ToInt64(h.ContentLength) < 1024 {
		t.Fatalf("HeadObject generated %s: %+v %v", ownKey, h, err)
	}
	if body := getBody(t, b, "gen", ownKey); int64(len(body)) != aws.ToInt64(h.ContentLength) {
		t.Fatalf("generated content length %d, want %d", len(body), aws.ToInt64(h.ContentLength))
	}
	_, err = b.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("gen"), Key: aws.String(foreignKey)})
	wantErr(t, err, "AccessDenied", 403)
	if got := getBody(t, env.client(acctC), "gen", foreignKey); len(got) < 1024 {
		t.Fatalf("C reads its generated object: %d bytes", len(got))
	}
	_, err = b.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("gen"), Key: aws.String("data/0007"), Body: strings.NewReader("x")})
	wantErr(t, err, "NotImplemented", 501)

	// Seeks: prefix, delimiter and start-after on generated keys.
	v2, err := b.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("gen"), Prefix: aws.String("data/001"), StartAfter: aws.String("data/0014")})
	if err != nil || len(v2.Contents) != 5 || aws.ToString(v2.Contents[0].Key) != "data/0015" {
		t.Fatalf("generated prefix+start-after: %d keys %v", len(v2.Contents), err)
	}
	v2, err = b.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("gen"), Delimiter: aws.String("/")})
	if err != nil || len(v2.CommonPrefixes) != 1 || len(v2.Contents) != 2 {
		t.Fatalf("generated delimiter: %+v %v", v2, err)
	}

	// Enforced generated bucket: every version is the bucket owner's.
	vs, _ := listAllVersions(t, b, &s3.ListObjectVersionsInput{Bucket: aws.String("gen-enforced")})
	for _, v := range vs {
		if v.owner != CanonicalIDFor(acctB) || v.id != "null" {
			t.Fatalf("enforced generated version %+v", v)
		}
	}
	if len(vs) != 100 {
		t.Fatalf("gen-enforced: %d versions", len(vs))
	}
}
