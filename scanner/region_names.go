package scanner

import "github.com/ownerscan/ownerscan/internal/awspartition"

// RegionPartition names the partition whose region names region follows
// ("" when it follows none: it is not a region of aws, aws-cn or
// aws-us-gov, today or later), and says whether it is a region this build
// knows. A region that follows a partition's pattern but is not known may
// be one AWS opened after this build.
func RegionPartition(region string) (partition string, known bool) {
	p, ok := awspartition.OfRegion(region)
	if !ok {
		return "", false
	}
	return p.Name, p.Known(region)
}

// KnownRegions lists the regions this build knows in partition.
func KnownRegions(partition string) []string {
	p, ok := awspartition.Lookup(partition)
	if !ok {
		return nil
	}
	return p.Regions()
}
