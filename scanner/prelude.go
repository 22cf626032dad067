package scanner

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"golang.org/x/sync/errgroup"
)

// ErrOrganizationMismatch stops a scan whose credentials reach another
// organization than Options.ExpectedOrganizationID.
var ErrOrganizationMismatch = errors.New("scanner: not the expected organization")

// prelude learns who the caller is and in which partition, assumes the
// organization role if any, describes the organization and, when a filter
// names an OU, walks the tree.
//
// GetCallerIdentity goes first and alone: its ARN names the partition that
// every other request is sent to (endpoints differ per partition), and a
// partition option or organization role that disagrees with it fails the
// scan before any other call. After it (and the organization role's
// AssumeRole, when there is one) DescribeOrganization, the first
// ListAccounts page and the OU walk need no other's answer and all go out
// at once. The account listing it starts is returned even on error (nil
// when it never started), for the caller to abandon. Its calls are on the
// critical path of everything: priority lane.
func (r *run) prelude(ctx context.Context) (Organization, *accountStream, error) {
	pctx := withPriority(ctx)
	first := firstPartition(r.opts.Partition, r.configRegion)
	firstRegion := first.ControlRegion(r.configRegion)
	id, err := r.clients.STS(firstRegion, nil).GetCallerIdentity(pctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		hint := ""
		if apiErrorCode(err) == "InvalidClientTokenId" {
			hint = fmt.Sprintf(" (credentials work only in their own partition: are these of partition %s? "+
				"Set partition, or a region of the credentials' partition)", first.Name)
		}
		return Organization{}, nil, fmt.Errorf("scanner: GetCallerIdentity in %s (partition %s): %s%s: %w",
			firstRegion, first.Name, awsErrorText(err), hint, err)
	}
	r.callerAccount = aws.ToString(id.Account)
	callerARN := aws.ToString(id.Arn)
	part, err := callerPartition(callerARN, r.opts.Partition, r.opts.OrganizationRoleARN)
	if err != nil {
		return Organization{Partition: partitionOf(callerARN)}, nil, err
	}
	r.part, r.partition = part, part.Name
	r.controlRegion = part.ControlRegion(r.configRegion)
	r.log.Debug("caller", "arn", callerARN, "partition", part.Name, "control_region", r.controlRegion)

	r.memberSTS = r.clients.STS(r.controlRegion, nil)
	api := r.clients.Organizations(part.HomeRegion, nil)
	if arn := r.opts.OrganizationRoleARN; arn != "" {
		creds := assumedRole(r.memberSTS, arn, r.opts.ExternalID, r.opts.SessionName, orgSessionDuration)
		r.col.facts.orgRole = true
		if err := retrieveNow(pctx, creds); err != nil {
			return Organization{Partition: part.Name}, nil, fmt.Errorf("scanner: organization role %s: %s", arn, err)
		}
		r.orgCreds = creds
		r.orgRoleAccount = accountOfARN(arn)
		r.memberSTS = r.clients.STS(r.controlRegion, creds)
		api = r.clients.Organizations(part.HomeRegion, creds)
	}

	accounts := startAccountStream(pctx, api)
	var walk errgroup.Group
	if needsOUWalk(r.opts.AccountsInclude, r.opts.AccountsExclude) {
		walk.Go(func() error {
			tree, err := walkOUs(pctx, api)
			if err != nil {
				return fmt.Errorf("scanner: walk organizational units: %s: %w", awsErrorText(err), err)
			}
			r.tree = tree
			r.col.facts.ouWalk = tree
			return nil
		})
	}
	out, orgErr := api.DescribeOrganization(pctx, &organizations.DescribeOrganizationInput{})
	walkErr := walk.Wait()
	if orgErr != nil {
		return Organization{Partition: part.Name}, accounts, fmt.Errorf("scanner: DescribeOrganization: %s: %w", awsErrorText(orgErr), orgErr)
	}
	org := Organization{Partition: part.Name}
	if out.Organization != nil {
		org.ID = aws.ToString(out.Organization.Id)
		org.ManagementAccountID = aws.ToString(out.Organization.MasterAccountId)
	}
	r.log.Info("organization", "id", org.ID, "management_account", org.ManagementAccountID,
		"caller_account", r.callerAccount, "partition", part.Name)
	r.col.managementAccount = org.ManagementAccountID
	if want := r.opts.ExpectedOrganizationID; want != "" && org.ID != want {
		return org, accounts, fmt.Errorf("%w: the credentials reach organization %s, not %s", ErrOrganizationMismatch, org.ID, want)
	}
	if walkErr != nil {
		return org, accounts, walkErr
	}
	return org, accounts, nil
}
