package scanner

import (
	"fmt"
	"strings"

	"github.com/ownerscan/ownerscan/internal/awspartition"
)

// firstPartition is the partition GetCallerIdentity is sent to, before the
// caller's own is known: the partition option when set, else the
// partition of the configured region, else aws. Credentials work only in
// their own partition, so when this guess is wrong GetCallerIdentity fails
// (InvalidClientTokenId), and no other call is made.
func firstPartition(option, configuredRegion string) awspartition.Partition {
	if p, ok := awspartition.Lookup(option); ok {
		return p
	}
	if p, ok := awspartition.OfRegion(configuredRegion); ok {
		return p
	}
	p, _ := awspartition.Lookup(DefaultPartition)
	return p
}

// callerPartition is the partition every request of the scan goes to: the
// one of the caller's ARN (GetCallerIdentity). The partition option, when
// set, must agree with it, and so must organization_role_arn.
func callerPartition(callerARN, option, orgRoleARN string) (awspartition.Partition, error) {
	name := partitionOf(callerARN)
	p, ok := awspartition.Lookup(name)
	if !ok {
		return p, fmt.Errorf("scanner: the caller %s is in partition %q, which ownerscan does not support (%s)",
			callerARN, name, strings.Join(awspartition.Names(), ", "))
	}
	if option != "" && option != name {
		return p, fmt.Errorf("scanner: partition: %q is configured, but the caller %s is in partition %q: "+
			"set partition to %q or leave it empty (the caller's partition)", option, callerARN, name, name)
	}
	if orgRoleARN != "" && partitionOf(orgRoleARN) != name {
		return p, fmt.Errorf("scanner: organization_role_arn: %s is not in the caller's partition %q (the caller is %s)",
			orgRoleARN, name, callerARN)
	}
	return p, nil
}
