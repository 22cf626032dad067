package versionlist

import (
	"fmt"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// pageFromSDK converts an SDK output into p: versions and delete markers,
// which the SDK keeps in two lists, merged back into S3's order (by key;
// within a key newest first). Keys and markers are URL-decoded when the
// output says EncodingType "url", as the SDK itself does not (EncodingType in
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectVersions.html).
func pageFromSDK(out *s3.ListObjectVersionsOutput, p *Page) error {
	p.reset()
	dec := func(s *string) (string, error) {
		v := aws.ToString(s)
		if out.EncodingType != types.EncodingTypeUrl {
			return v, nil
		}
		d, err := url.QueryUnescape(v)
		if err != nil {
			return "", fmt.Errorf("%w: %q", ErrBadEncoding, v)
		}
		return d, nil
	}
	versions := make([]Entry, 0, len(out.Versions))
	for _, v := range out.Versions {
		e := Entry{VersionID: aws.ToString(v.VersionId), IsLatest: aws.ToBool(v.IsLatest),
			Size: aws.ToInt64(v.Size), LastModified: aws.ToTime(v.LastModified)}
		if v.Owner != nil {
			e.HasOwner, e.OwnerID = true, aws.ToString(v.Owner.ID)
		}
		var err error
		if e.Key, err = dec(v.Key); err != nil {
			return err
		}
		versions = append(versions, e)
	}
	markers := make([]Entry, 0, len(out.DeleteMarkers))
	for _, m := range out.DeleteMarkers {
		e := Entry{VersionID: aws.ToString(m.VersionId), IsLatest: aws.ToBool(m.IsLatest),
			IsDeleteMarker: true, LastModified: aws.ToTime(m.LastModified)}
		if m.Owner != nil {
			e.HasOwner, e.OwnerID = true, aws.ToString(m.Owner.ID)
		}
		var err error
		if e.Key, err = dec(m.Key); err != nil {
			return err
		}
		markers = append(markers, e)
	}
	// Merge on decoded keys (encoded keys sort differently).
	for len(versions) > 0 || len(markers) > 0 {
		takeVersion := len(markers) == 0
		if !takeVersion && len(versions) > 0 {
			v, m := &versions[0], &markers[0]
			takeVersion = v.Key < m.Key || v.Key == m.Key && !m.LastModified.After(v.LastModified)
		}
		if takeVersion {
			p.Entries = append(p.Entries, versions[0])
			versions = versions[1:]
		} else {
			p.Entries = append(p.Entries, markers[0])
			markers = markers[1:]
		}
	}
	for _, cp := range out.CommonPrefixes {
		s, err := dec(cp.Prefix)
		if err != nil {
			return err
		}
		p.CommonPrefixes = append(p.CommonPrefixes, s)
	}
	var err error
	p.IsTruncated = aws.ToBool(out.IsTruncated)
	if p.NextKeyMarker, err = dec(out.NextKeyMarker); err != nil {
		return err
	}
	p.NextVersionIDMarker = aws.ToString(out.NextVersionIdMarker)
	return nil
}
