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
// output says EncodingType "url", as the SDK itself does not (aws-facts §4).
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
	vs, dms := out.Versions, out.DeleteMarkers
	for len(vs) > 0 || len(dms) > 0 {
		var e Entry
		var err error
		takeVersion := len(dms) == 0
		if !takeVersion && len(vs) > 0 {
			vk, dk := aws.ToString(vs[0].Key), aws.ToString(dms[0].Key)
			takeVersion = vk < dk || vk == dk && !aws.ToTime(dms[0].LastModified).After(aws.ToTime(vs[0].LastModified))
		}
		if takeVersion {
			v := vs[0]
			vs = vs[1:]
			e = Entry{VersionID: aws.ToString(v.VersionId), IsLatest: aws.ToBool(v.IsLatest),
				Size: aws.ToInt64(v.Size), LastModified: aws.ToTime(v.LastModified)}
			e.Key, err = dec(v.Key)
			if v.Owner != nil {
				e.HasOwner, e.OwnerID = true, aws.ToString(v.Owner.ID)
			}
		} else {
			m := dms[0]
			dms = dms[1:]
			e = Entry{VersionID: aws.ToString(m.VersionId), IsLatest: aws.ToBool(m.IsLatest),
				IsDeleteMarker: true, LastModified: aws.ToTime(m.LastModified)}
			e.Key, err = dec(m.Key)
			if m.Owner != nil {
				e.HasOwner, e.OwnerID = true, aws.ToString(m.Owner.ID)
			}
		}
		if err != nil {
			return err
		}
		p.Entries = append(p.Entries, e)
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
