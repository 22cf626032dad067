package scanner

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
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
	reached, err := reachOrganization(pctx, r.clients, r.configRegion, AccessOptionsOf(r.opts))
	// The organization role counts as used once its AssumeRole was made,
	// whether it succeeded or not.
	r.col.facts.orgRole = r.opts.OrganizationRoleARN != "" && reached.part.Name != ""
	r.callerAccount = reached.callerAccount
	if err != nil {
		return Organization{Partition: partitionOf(reached.callerARN)}, nil, err
	}
	r.part, r.partition = reached.part, reached.part.Name
	r.controlRegion = reached.controlRegion
	r.memberSTS = reached.memberSTS
	r.orgCreds, r.orgRoleAccount = reached.orgCreds, reached.orgRoleAccount
	part, api := reached.part, reached.orgAPI
	r.log.Debug("caller", "arn", reached.callerARN, "partition", part.Name, "control_region", r.controlRegion)

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
