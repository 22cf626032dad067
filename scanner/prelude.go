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

// prelude learns who the caller is, assumes the organization role if any,
// describes the organization and, when a filter names an OU, walks the tree.
// None of GetCallerIdentity, DescribeOrganization, the first ListAccounts
// page and the OU walk needs another's answer, so they all go out at once
// (after the organization role's AssumeRole, when there is one): the
// accounts of the first page are known one round trip after the scan
// starts. The account listing it starts is returned even on error, for the
// caller to abandon. Its calls are on the critical path of everything:
// priority lane.
func (r *run) prelude(ctx context.Context) (Organization, *accountStream, error) {
	pctx := withPriority(ctx)
	callerSTS := r.clients.STS(nil)
	type identity struct {
		out *sts.GetCallerIdentityOutput
		err error
	}
	idc := make(chan identity, 1)
	go func() {
		out, err := callerSTS.GetCallerIdentity(pctx, &sts.GetCallerIdentityInput{})
		idc <- identity{out, err}
	}()
	r.memberSTS = callerSTS
	var orgErr error
	var out *organizations.DescribeOrganizationOutput
	var accounts *accountStream
	api := r.clients.Organizations(nil)
	if arn := r.opts.OrganizationRoleARN; arn != "" {
		creds := assumedRole(callerSTS, arn, r.opts.ExternalID, r.opts.SessionName, orgSessionDuration)
		r.col.facts.orgRole = true
		if err := retrieveNow(pctx, creds); err != nil {
			orgErr = fmt.Errorf("scanner: organization role %s: %s", arn, err)
		} else {
			r.orgCreds = creds
			r.orgRoleAccount = accountOfARN(arn)
			r.memberSTS = r.clients.STS(creds)
			api = r.clients.Organizations(creds)
		}
	}
	var walk errgroup.Group
	if orgErr == nil {
		accounts = startAccountStream(pctx, api)
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
		var err error
		out, err = api.DescribeOrganization(pctx, &organizations.DescribeOrganizationInput{})
		if err != nil {
			orgErr = fmt.Errorf("scanner: DescribeOrganization: %s: %w", awsErrorText(err), err)
		}
	}
	walkErr := walk.Wait()
	id := <-idc
	if id.err != nil {
		return Organization{}, accounts, fmt.Errorf("scanner: GetCallerIdentity: %s: %w", awsErrorText(id.err), id.err)
	}
	r.callerAccount = aws.ToString(id.out.Account)
	r.partition = r.opts.Partition
	if r.partition == "" {
		r.partition = partitionOf(aws.ToString(id.out.Arn))
	}
	if r.partition == "" {
		r.partition = DefaultPartition
	}
	if orgErr != nil {
		return Organization{}, accounts, orgErr
	}
	org := Organization{Partition: r.partition}
	if out.Organization != nil {
		org.ID = aws.ToString(out.Organization.Id)
		org.ManagementAccountID = aws.ToString(out.Organization.MasterAccountId)
	}
	r.log.Info("organization", "id", org.ID, "management_account", org.ManagementAccountID, "caller_account", r.callerAccount)
	r.col.managementAccount = org.ManagementAccountID
	if want := r.opts.ExpectedOrganizationID; want != "" && org.ID != want {
		return org, accounts, fmt.Errorf("%w: the credentials reach organization %s, not %s", ErrOrganizationMismatch, org.ID, want)
	}
	if walkErr != nil {
		return org, accounts, walkErr
	}
	return org, accounts, nil
}
