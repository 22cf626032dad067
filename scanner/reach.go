package scanner

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/ownerscan/ownerscan/internal/awspartition"
)

// reach is who the caller is and how the organization and its accounts are
// reached: what a scan (prelude) and Access (Connect) learn first.
type reach struct {
	callerAccount  string
	callerARN      string
	part           awspartition.Partition // the caller's; zero until its ARN is checked
	controlRegion  string                 // STS, ListBuckets and region lookups: a region every account has
	memberSTS      STSAPI                 // signs AssumeRole into members
	orgAPI         OrganizationsAPI       // the organization role's, when there is one
	orgCreds       aws.CredentialsProvider
	orgRoleAccount string
}

// reachOrganization learns who the caller is (GetCallerIdentity, in the
// control region of the partition the options or configRegion suggest),
// takes the partition its ARN names (callerPartition) and assumes the
// organization role when one is configured. GetCallerIdentity goes first
// and alone: its ARN names the partition every other request is sent to
// (endpoints differ per partition), and options that disagree with it fail
// before any other call. On error, what was learned before it is returned:
// part is set once the organization role's AssumeRole was attempted.
func reachOrganization(ctx context.Context, clients clientFactory, configRegion string, o AccessOptions) (reach, error) {
	var r reach
	first := firstPartition(o.Partition, configRegion)
	firstRegion := first.ControlRegion(configRegion)
	id, err := clients.STS(firstRegion, nil).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		hint := ""
		if apiErrorCode(err) == "InvalidClientTokenId" {
			hint = fmt.Sprintf(" (credentials work only in their own partition: are these of partition %s? "+
				"Set partition, or a region of the credentials' partition)", first.Name)
		}
		return r, fmt.Errorf("scanner: GetCallerIdentity in %s (partition %s): %s%s: %w",
			firstRegion, first.Name, awsErrorText(err), hint, err)
	}
	r.callerAccount, r.callerARN = aws.ToString(id.Account), aws.ToString(id.Arn)
	part, err := callerPartition(r.callerARN, o.Partition, o.OrganizationRoleARN)
	if err != nil {
		return r, err
	}
	r.part = part
	r.controlRegion = part.ControlRegion(configRegion)
	r.memberSTS = clients.STS(r.controlRegion, nil)
	r.orgAPI = clients.Organizations(part.HomeRegion, nil)
	if arn := o.OrganizationRoleARN; arn != "" {
		creds := assumedRole(r.memberSTS, arn, o.ExternalID, o.SessionName, orgSessionDuration)
		if err := retrieveNow(ctx, creds); err != nil {
			return r, fmt.Errorf("scanner: organization role %s: %w", arn, err)
		}
		r.orgCreds, r.orgRoleAccount = creds, accountOfARN(arn)
		r.memberSTS = clients.STS(r.controlRegion, creds)
		r.orgAPI = clients.Organizations(part.HomeRegion, creds)
	}
	return r, nil
}
