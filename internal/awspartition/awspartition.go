// Package awspartition knows the AWS partitions ownerscan works in (aws,
// aws-cn, aws-us-gov): which regions belong to each, which of them every
// account has, and where each partition's global services live. The scanner
// routes its requests with it and the emulator (internal/fakeaws) models
// opt-in regions with it.
//
// Sources: the partition regexes and regions are those of the AWS SDK's
// partition metadata (partitions.json; the regexes copied verbatim, escapes
// included; TestPartitionRegionsMatchTheSDK holds both to the SDK this
// build uses), the Organizations endpoints those of the organizations
// endpoint-rule-set; the default regions are those AWS launched before
// 20 March 2019, which every account has and cannot disable
// (https://docs.aws.amazon.com/accounts/latest/reference/manage-acct-regions.html).
package awspartition

import (
	"regexp"
	"slices"
)

// Partition describes one AWS partition.
type Partition struct {
	// Name is the partition as it appears in ARNs: aws, aws-cn, aws-us-gov.
	Name string
	// HomeRegion is where the partition's Organizations endpoint lives
	// (organizations.<HomeRegion>.<DNSSuffix>); it is a default region.
	HomeRegion string
	// DNSSuffix ends every endpoint host of the partition.
	DNSSuffix string
	// DefaultRegions are enabled in every account and cannot be disabled.
	DefaultRegions []string
	// KnownOptInRegions are the opt-in regions known when this list was
	// written. Every region launched after 20 March 2019 is opt-in, so a
	// region of the partition that is not a default region is opt-in even
	// when this list does not name it yet.
	KnownOptInRegions []string

	regions *regexp.Regexp
}

var partitions = []Partition{
	{
		Name:       "aws",
		HomeRegion: "us-east-1",
		DNSSuffix:  "amazonaws.com",
		DefaultRegions: []string{
			"us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "sa-east-1",
			"eu-central-1", "eu-west-1", "eu-west-2", "eu-west-3", "eu-north-1",
			"ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-southeast-1", "ap-southeast-2", "ap-south-1",
		},
		KnownOptInRegions: []string{
			"af-south-1", "ap-east-1", "ap-east-2", "ap-south-2", "ap-southeast-3", "ap-southeast-4",
			"ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "ca-west-1", "eu-central-2", "eu-south-1",
			"eu-south-2", "il-central-1", "me-central-1", "me-south-1", "me-west-1", "mx-central-1", "sa-west-1",
		},
		regions: regexp.MustCompile(`^(us|eu|ap|sa|ca|me|af|il|mx)\-\w+\-\d+$`),
	},
	{
		Name:           "aws-cn",
		HomeRegion:     "cn-northwest-1",
		DNSSuffix:      "amazonaws.com.cn",
		DefaultRegions: []string{"cn-north-1", "cn-northwest-1"},
		regions:        regexp.MustCompile(`^cn\-\w+\-\d+$`),
	},
	{
		Name:           "aws-us-gov",
		HomeRegion:     "us-gov-west-1",
		DNSSuffix:      "amazonaws.com",
		DefaultRegions: []string{"us-gov-west-1", "us-gov-east-1"},
		regions:        regexp.MustCompile(`^us\-gov\-\w+\-\d+$`),
	},
}

// Names lists the supported partitions.
func Names() []string {
	out := make([]string, len(partitions))
	for i, p := range partitions {
		out[i] = p.Name
	}
	return out
}

// Lookup returns the partition called name.
func Lookup(name string) (Partition, bool) {
	for _, p := range partitions {
		if p.Name == name {
			return p, true
		}
	}
	return Partition{}, false
}

// OfRegion returns the supported partition a region name belongs to, or
// false for a name that belongs to none of them (an isolated partition, or
// not a region name).
func OfRegion(region string) (Partition, bool) {
	for _, name := range []string{"aws-us-gov", "aws-cn", "aws"} {
		p, _ := Lookup(name)
		if p.Contains(region) {
			return p, true
		}
	}
	return Partition{}, false
}

// Contains reports whether region is a region name of the partition.
func (p Partition) Contains(region string) bool {
	return p.regions != nil && p.regions.MatchString(region)
}

// Known reports whether region is a region of the partition that this
// build knows (a default or a known opt-in region). A region that follows
// the partition's name pattern but is not known may be one AWS opened since.
func (p Partition) Known(region string) bool {
	return p.DefaultRegion(region) || slices.Contains(p.KnownOptInRegions, region)
}

// Regions lists the regions of the partition this build knows, sorted.
func (p Partition) Regions() []string {
	out := append(slices.Clone(p.DefaultRegions), p.KnownOptInRegions...)
	slices.Sort(out)
	return out
}

// DefaultRegion reports whether region is enabled in every account of the
// partition.
func (p Partition) DefaultRegion(region string) bool {
	return slices.Contains(p.DefaultRegions, region)
}

// OptIn reports whether region is an opt-in region of the partition: one
// of its regions that an account has only once it enables it.
func (p Partition) OptIn(region string) bool {
	return p.Contains(region) && !p.DefaultRegion(region)
}

// ControlRegion is the region for the calls that may go to any region of
// the partition (STS, ListBuckets, region lookups): preferred when every
// account has it, else the partition's home region. A caller configured
// for an opt-in region would otherwise send the AssumeRole of every member
// to a region some members have not enabled.
func (p Partition) ControlRegion(preferred string) string {
	if p.DefaultRegion(preferred) {
		return preferred
	}
	return p.HomeRegion
}
