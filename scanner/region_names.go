package scanner

import (
	"regexp"
	"slices"
)

// partitionRegions are the regions of each partition ownerscan scans, as
// the AWS SDK for Go v2 this build uses describes them (its partition
// metadata): a name pattern every region of the partition matches, today's
// and those AWS opens later, and the regions that exist now. Pseudo-regions
// such as aws-global are left out: no bucket lives there.
// TestPartitionRegionsMatchTheSDK holds this list to the SDK's.
var partitionRegions = []struct {
	partition string
	pattern   *regexp.Regexp
	regions   []string
}{
	{"aws", regexp.MustCompile(`^(us|eu|ap|sa|ca|me|af|il|mx)\-\w+\-\d+$`), []string{
		"af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
		"ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4",
		"ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "ca-central-1", "ca-west-1", "eu-central-1",
		"eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-2", "eu-west-3",
		"il-central-1", "me-central-1", "me-south-1", "me-west-1", "mx-central-1", "sa-east-1", "sa-west-1",
		"us-east-1", "us-east-2", "us-west-1", "us-west-2",
	}},
	{"aws-cn", regexp.MustCompile(`^cn\-\w+\-\d+$`), []string{"cn-north-1", "cn-northwest-1"}},
	{"aws-us-gov", regexp.MustCompile(`^us\-gov\-\w+\-\d+$`), []string{"us-gov-east-1", "us-gov-west-1"}},
}

// RegionPartition names the partition whose region names region follows
// ("" when it follows none: it is not a region of aws, aws-cn or
// aws-us-gov, today or later), and says whether it is a region this build
// knows. A region that follows a partition's pattern but is not known may
// be one AWS opened after this build.
func RegionPartition(region string) (partition string, known bool) {
	for _, p := range partitionRegions {
		if p.pattern.MatchString(region) {
			return p.partition, slices.Contains(p.regions, region)
		}
	}
	return "", false
}

// KnownRegions lists the regions this build knows in partition.
func KnownRegions(partition string) []string {
	for _, p := range partitionRegions {
		if p.partition == partition {
			return slices.Clone(p.regions)
		}
	}
	return nil
}
