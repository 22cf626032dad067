package fakeaws

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// shapeKeys computes every key of a generated bucket of shape.
func shapeKeys(t *testing.T, shape, prefix string, count int64) (*generatedObjects, []string) {
	t.Helper()
	g, err := newGeneratedObjects("shape-"+shape, "owner", versioningEnabled, &GeneratedSpec{Count: count, KeyPrefix: prefix, KeyShape: shape})
	if err != nil {
		t.Fatal(err)
	}
	keys := make([]string, count)
	for i := range keys {
		keys[i] = g.key(int64(i))
	}
	return g, keys
}

// TestKeyShapesSortAndSeek: in every shape key(i) < key(i+1) in byte
// order (S3's), keys are valid UTF-8 within the shape's length bound and
// S3's 1,024 bytes, and a key is found again by binary search over the
// index, which is how the emulator lists from a marker.
func TestKeyShapesSortAndSeek(t *testing.T) {
	for _, shape := range keyShapeNames {
		if p, ok := treeShapes[shape]; ok && !validSymbols(p.alphabet) {
			t.Errorf("%s: alphabet not sorted, or a symbol below %q", shape, symbolFloor)
		}
		for _, count := range []int64{1, 2, 3, 17, 1000, 40000} {
			g, keys := shapeKeys(t, shape, "p/", count)
			bound := g.shape.maxKeyLen()
			for i, k := range keys {
				if i > 0 && keys[i-1] >= k {
					t.Fatalf("%s/%d: key %d %q not above key %d %q", shape, count, i, k, i-1, keys[i-1])
				}
				if !utf8.ValidString(k) || len(k) > bound || bound > maxKeyLength || !strings.HasPrefix(k, "p/") {
					t.Fatalf("%s/%d: key %q (bound %d)", shape, count, k, bound)
				}
			}
			for _, i := range []int64{0, count / 3, count / 2, count - 1} {
				k := keys[i]
				if got, ok := g.index(k); !ok || got != i {
					t.Errorf("%s/%d: index(%q) = %d %v, want %d", shape, count, k, got, ok, i)
				}
				if _, ok := g.index(k + "\x00"); ok {
					t.Errorf("%s/%d: %q found though no key holds a NUL", shape, count, k+"\x00")
				}
				if lb := g.lowerBound(k); lb != i {
					t.Errorf("%s/%d: lowerBound(key %d) = %d", shape, count, i, lb)
				}
				if lb := g.lowerBound(k + "\x00"); lb != i+1 {
					t.Errorf("%s/%d: lowerBound(key %d + NUL) = %d", shape, count, i, lb)
				}
			}
		}
	}
}

// TestKeyShapesLookTheirPart: each shape has the property it is named
// for, measured on 100,000 keys, so that a test listing it meets what it
// claims to meet.
func TestKeyShapesLookTheirPart(t *testing.T) {
	type profile struct {
		minLen, maxLen int
		depths         map[int]int // folder levels -> keys
		top            map[string]int
		nonASCII, wide int // keys with a character of 2+ bytes, of 4 bytes
	}
	measure := func(shape string) profile {
		_, keys := shapeKeys(t, shape, "", 100000)
		p := profile{minLen: 1 << 30, depths: map[int]int{}, top: map[string]int{}}
		for _, k := range keys {
			p.minLen, p.maxLen = min(p.minLen, len(k)), max(p.maxLen, len(k))
			parts := strings.Split(k, "/")
			p.depths[len(parts)-1]++
			if len(parts) > 1 {
				p.top[parts[0]]++
			}
			if utf8.RuneCountInString(k) < len(k) {
				p.nonASCII++
			}
			for _, r := range k {
				if utf8.RuneLen(r) == 4 {
					p.wide++
					break
				}
			}
		}
		t.Logf("%s: lengths %d..%d, keys per folder depth %v, %d top folders; e.g. %q, %q", shape, p.minLen, p.maxLen, p.depths, len(p.top), keys[0], keys[len(keys)/2])
		return p
	}
	if p := measure(KeyShapeRandom); p.maxLen-p.minLen < 10 || len(p.depths) != 1 || p.depths[0] != 100000 {
		t.Errorf("random: names of %d..%d bytes in folders %v, want flat names of widths at least 10 apart", p.minLen, p.maxLen, p.depths)
	}
	if p := measure(KeyShapeDeep); len(p.depths) < 4 || p.depths[2] == 0 || p.depths[6] == 0 {
		t.Errorf("deep: keys per folder depth %v, want depths from 2 to 6 at least", p.depths)
	}
	if p := measure(KeyShapeSkewed); len(p.top) < 8 || slices.Max(mapValues(p.top)) < 30000 || slices.Min(mapValues(p.top)) > 500 {
		t.Errorf("skewed: top folder sizes %v, want one of 30%% or more beside some of under 0.5%%", mapValues(p.top))
	}
	if p := measure(KeyShapeUnicode); p.nonASCII < 90000 || p.wide < 10000 {
		t.Errorf("unicode: %d keys with non-ASCII characters, %d with 4-byte ones", p.nonASCII, p.wide)
	}
}

func mapValues(m map[string]int) []int {
	out := make([]int, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// TestKeyShapesOverTheWire: a bucket of each shape, listed through the
// SDK (URL-encoded, in pages, with versions and a stored key merged in),
// gives exactly the keys the shape computes; a delimiter listing rolls
// the folders up; a generated key of every shape is read back by name.
func TestKeyShapesOverTheWire(t *testing.T) {
	const count = 3000
	var buckets []BucketSpec
	for _, shape := range keyShapeNames {
		buckets = append(buckets, BucketSpec{Name: "shape-" + shape, Account: acctB, Versioning: versioningEnabled, Ownership: ownershipWriter,
			Objects:   []ObjectSpec{{Key: "stored/x"}},
			Generated: &GeneratedSpec{Count: count, KeyPrefix: "g/", VersionsPerKey: 2, KeyShape: shape}})
	}
	env := newS3Env(t, s3TestScenario(buckets...))
	c := env.client(acctB)
	ctx := context.Background()
	for _, shape := range keyShapeNames {
		bucket := "shape-" + shape
		_, keys := shapeKeys(t, shape, "g/", count)
		want := append(slices.Clone(keys), "stored/x")
		var got []string
		// Paged by hand: markers come back URL-encoded, and the SDK's
		// paginator would send them on as they are.
		unescape := func(s *string) string {
			k, err := url.QueryUnescape(aws.ToString(s))
			if err != nil {
				t.Fatal(err)
			}
			return k
		}
		in := &s3.ListObjectVersionsInput{Bucket: aws.String(bucket), EncodingType: types.EncodingTypeUrl, MaxKeys: aws.Int32(333)}
		for {
			out, err := c.ListObjectVersions(ctx, in)
			if err != nil {
				t.Fatalf("%s: %v", shape, err)
			}
			for _, v := range out.Versions {
				if aws.ToBool(v.IsLatest) {
					got = append(got, unescape(v.Key))
				}
			}
			if !aws.ToBool(out.IsTruncated) {
				break
			}
			in.KeyMarker, in.VersionIdMarker = aws.String(unescape(out.NextKeyMarker)), out.NextVersionIdMarker
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: listed %d keys, want %d (equal: %v)", shape, len(got), len(want), slices.Equal(got, want))
		}
		// Folders directly under g/, as the keys say.
		folders := map[string]bool{}
		for _, k := range keys {
			if rest := strings.TrimPrefix(k, "g/"); strings.Contains(rest, "/") {
				folders["g/"+rest[:strings.Index(rest, "/")+1]] = true
			}
		}
		v2, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String("g/"), Delimiter: aws.String("/")})
		if err != nil || len(v2.CommonPrefixes) != min(len(folders), 1000) {
			t.Errorf("%s: delimiter listing: %d common prefixes (err %v), want %d", shape, len(v2.CommonPrefixes), err, len(folders))
		}
		key := keys[count/2]
		if body := getBody(t, c, bucket, key); len(body) < 1024 {
			t.Errorf("%s: GetObject %q: %d bytes", shape, key, len(body))
		}
		_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader("x")})
		wantErr(t, err, "NotImplemented", 501)
	}
}

// TestKeyShapeValidation: an unknown shape, or a prefix that would make
// keys longer than S3 allows, is refused naming the key.
func TestKeyShapeValidation(t *testing.T) {
	head := "management_account: \"111111111111\"\naccounts: [{id: \"111111111111\", name: M}]\n"
	for shape, want := range map[string]string{
		`key_shape: flat`: `buckets[0].generated.key_shape: "flat" is not one of`,
		`key_shape: deep, key_prefix: "` + strings.Repeat("x", 890) + `"`: "buckets[0].generated.key_prefix: too long for key_shape deep",
	} {
		_, err := ParseScenario([]byte(head + fmt.Sprintf("buckets: [{name: b, account: \"111111111111\", generated: {count: 10, %s}}]\n", shape)))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", shape, err, want)
		}
	}
}
