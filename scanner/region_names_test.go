package scanner

import "testing"

func TestRegionPartition(t *testing.T) {
	for _, tc := range []struct {
		region, partition string
		known             bool
	}{
		{"eu-west-1", "aws", true},
		{"eu-wset-1", "aws", false}, // a typo, or a region newer than this build
		{"us-gov-west-1", "aws-us-gov", true},
		{"cn-north-1", "aws-cn", true},
		{"xx-east-1", "", false},
		{"nowhere", "", false},
		{"us-iso-east-1", "", false},
	} {
		p, known := RegionPartition(tc.region)
		if p != tc.partition || known != tc.known {
			t.Errorf("RegionPartition(%q) = %q, %v; want %q, %v", tc.region, p, known, tc.partition, tc.known)
		}
	}
}
