package s3report

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Scheme starts every location of reports in S3.
const Scheme = "s3://"

// maxPrefixBytes bounds the key prefix of --out: a run's longest key adds
// "/YYYY/MM/DD/HHMMSSZ/findings.ocsf.json" (38 bytes) to it, and S3 keys
// are at most 1,024 bytes.
const maxPrefixBytes = 900

// bucketNameRe is S3's rule for general purpose bucket names: 3 to 63
// lowercase letters, digits, dots and hyphens, starting and ending with a
// letter or digit
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html).
var bucketNameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// URL is a location in S3: a bucket and a key (or key prefix), with no
// leading or trailing slash. The zero Key is the bucket's top level.
type URL struct {
	Bucket string
	Key    string
}

// IsURL says whether s is meant as an S3 location (starts with s3://).
func IsURL(s string) bool { return strings.HasPrefix(s, Scheme) }

// ParseURL parses s3://BUCKET[/KEY]. The bucket must be a valid bucket
// name; the key is trimmed of slashes at both ends and must be valid UTF-8
// without control characters, empty segments ("a//b") or "." and ".."
// segments, which S3 accepts but which make keys that tools show and copy
// in surprising ways.
func ParseURL(s string) (URL, error) {
	rest, ok := strings.CutPrefix(s, Scheme)
	if !ok {
		return URL{}, fmt.Errorf("%q is not an s3:// URL", s)
	}
	bucket, key, _ := strings.Cut(rest, "/")
	if !bucketNameRe.MatchString(bucket) || strings.Contains(bucket, "..") {
		return URL{}, fmt.Errorf("%q: %q is not an S3 bucket name (3 to 63 lowercase letters, digits, dots and hyphens)", s, bucket)
	}
	key = strings.Trim(key, "/")
	if err := checkKey(key); err != nil {
		return URL{}, fmt.Errorf("%q: %w", s, err)
	}
	return URL{Bucket: bucket, Key: key}, nil
}

func checkKey(key string) error {
	if len(key) > maxPrefixBytes {
		return fmt.Errorf("the key is longer than %d bytes", maxPrefixBytes)
	}
	if !utf8.ValidString(key) {
		return errors.New("the key is not valid UTF-8")
	}
	if strings.ContainsFunc(key, unicode.IsControl) {
		return errors.New("the key holds a control character")
	}
	if key == "" {
		return nil
	}
	for _, seg := range strings.Split(key, "/") {
		switch seg {
		case "":
			return errors.New("the key has an empty segment (//)")
		case ".", "..":
			return fmt.Errorf("the key has a %q segment", seg)
		}
	}
	return nil
}

// String is the URL as s3://BUCKET/KEY.
func (u URL) String() string {
	if u.Key == "" {
		return Scheme + u.Bucket
	}
	return Scheme + u.Bucket + "/" + u.Key
}

// Join is the URL of name under u ("s3://b/p" and "x" give "s3://b/p/x").
func (u URL) Join(name string) URL {
	return URL{Bucket: u.Bucket, Key: joinKey(u.Key, name)}
}

// joinKey joins a key prefix (possibly empty) and a name with one slash.
func joinKey(prefix, name string) string {
	prefix = strings.TrimSuffix(prefix, "/")
	if prefix == "" {
		return name
	}
	return prefix + "/" + name
}
