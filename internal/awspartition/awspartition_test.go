package awspartition

import "testing"

func TestOfRegion(t *testing.T) {
	for region, want := range map[string]string{
		"us-east-1": "aws", "eu-west-1": "aws", "ap-east-1": "aws", "il-central-1": "aws", "mx-central-1": "aws",
		"cn-north-1": "aws-cn", "cn-northwest-1": "aws-cn",
		"us-gov-west-1": "aws-us-gov", "us-gov-east-1": "aws-us-gov",
		"us-iso-east-1": "", "us-isob-east-1": "", "eusc-de-east-1": "", "": "", "mars-1": "",
	} {
		p, ok := OfRegion(region)
		if p.Name != want || ok != (want != "") {
			t.Errorf("OfRegion(%q) = %q, %v; want %q", region, p.Name, ok, want)
		}
	}
}

func TestControlRegionAvoidsOptIn(t *testing.T) {
	aws, _ := Lookup("aws")
	cn, _ := Lookup("aws-cn")
	gov, _ := Lookup("aws-us-gov")
	for _, tc := range []struct {
		p               Partition
		preferred, want string
	}{
		{aws, "eu-west-1", "eu-west-1"},
		{aws, "ap-east-1", "us-east-1"}, // opt-in: not every member has it
		{aws, "", "us-east-1"},
		{aws, "cn-north-1", "us-east-1"}, // another partition's region
		{cn, "cn-north-1", "cn-north-1"},
		{cn, "us-east-1", "cn-northwest-1"},
		{gov, "us-gov-east-1", "us-gov-east-1"},
		{gov, "", "us-gov-west-1"},
	} {
		if got := tc.p.ControlRegion(tc.preferred); got != tc.want {
			t.Errorf("%s.ControlRegion(%q) = %q, want %q", tc.p.Name, tc.preferred, got, tc.want)
		}
	}
	for _, r := range aws.KnownOptInRegions {
		if !aws.OptIn(r) || aws.DefaultRegion(r) {
			t.Errorf("%s must be opt-in and not a default region", r)
		}
	}
	for _, p := range []Partition{aws, cn, gov} {
		if !p.DefaultRegion(p.HomeRegion) {
			t.Errorf("%s: home region %s must be a default region", p.Name, p.HomeRegion)
		}
		for _, r := range p.DefaultRegions {
			if !p.Contains(r) {
				t.Errorf("%s: default region %s does not match the partition's pattern", p.Name, r)
			}
		}
	}
}
