package fastdecode

import (
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// ownershipDecoder decodes an OwnershipControls document (the answer of
// GetBucketOwnershipControls) into what the SDK's deserializer makes of
// it: every Rule element of the root a rule, in document order, whose
// ObjectOwnership is that of its last ObjectOwnership element (none when
// it has none); names matched whatever their case, anything else skipped,
// the root's name not checked (answerGuard does), nothing after the root
// read.
type ownershipDecoder struct {
	walker
	rules []ref // per Rule, its ObjectOwnership
}

func (d *ownershipDecoder) decode(body []byte) error {
	d.rules = d.rules[:0]
	root, sc, err := d.root(body)
	if err != nil {
		return err
	}
	return d.children(root, sc, func(name []byte, sc bool) error {
		if !fold(name, "Rule") {
			return d.skipElement(name, sc)
		}
		d.rules = append(d.rules, 0)
		i := len(d.rules) - 1
		return d.children(name, sc, func(name []byte, sc bool) error {
			if fold(name, "ObjectOwnership") {
				return d.value(&d.rules[i], name, sc)
			}
			return d.skipElement(name, sc)
		})
	})
}

// controls builds the SDK's OwnershipControls: never nil once the root
// element is read; Rules nil without a Rule.
func (d *ownershipDecoder) controls() *types.OwnershipControls {
	oc := &types.OwnershipControls{}
	if len(d.rules) == 0 {
		return oc
	}
	oc.Rules = make([]types.OwnershipControlsRule, len(d.rules))
	for i, r := range d.rules {
		oc.Rules[i].ObjectOwnership = d.ownership(r)
	}
	return oc
}

// ownership is a rule's value, S3's own values without an allocation.
func (d *ownershipDecoder) ownership(r ref) types.ObjectOwnership {
	if r == 0 {
		return ""
	}
	v := d.vals[r-1]
	b := d.text[v.off:v.end]
	for _, known := range types.ObjectOwnership("").Values() {
		if string(b) == string(known) {
			return known
		}
	}
	return types.ObjectOwnership(b)
}
