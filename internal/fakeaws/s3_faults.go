package fakeaws

import (
	"encoding/binary"
	"slices"
	"strconv"
)

// ownerDropper decides which listed entries of one bucket lose their Owner
// (faults.drop_owner); a nil ownerDropper drops none.
type ownerDropper func(key, version string) bool

// drops reports whether the entry (key, version) is listed without Owner.
func (d ownerDropper) drops(key, version string) bool {
	return d != nil && d(key, version)
}

// ownerDrop returns the dropper of faults.drop_owner for a bucket, nil when
// the fault is off or does not name the bucket. The decision hashes the
// seed, bucket, key and version, so it does not depend on how the listing
// is paged or split.
func (st *s3Store) ownerDrop(bucket string) ownerDropper {
	spec := st.dropOwner
	if spec == nil || (len(spec.Buckets) > 0 && !slices.Contains(spec.Buckets, bucket)) {
		return nil
	}
	rate := spec.Rate
	if rate <= 0 && len(spec.Buckets) > 0 {
		rate = 1
	}
	if rate <= 0 {
		return nil
	}
	seed := strconv.FormatInt(st.seed, 10)
	return func(key, version string) bool {
		if rate >= 1 {
			return true
		}
		h := digest("fakeaws drop owner", seed, bucket, key, version)
		return float64(binary.BigEndian.Uint64(h[:8])>>11)/(1<<53) < rate
	}
}

// generatedVersionTag names version v of a generated key for ownerDrop.
func generatedVersionTag(v int) string { return "g" + strconv.Itoa(v) }
