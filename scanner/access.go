package scanner

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ownerscan/ownerscan/internal/awspartition"
)

// Access reaches an organization and its accounts the way a scan does, for
// code beside the scanner that makes calls of its own (scanner/remediate):
// the caller's partition, the organization role when one is configured,
// each account through the credentials its deployment gives (see
// accountRoute), and clients with the scan's retries, per-attempt timeout,
// budget of requests in flight and rate limits (clients.go).
type Access struct {
	clients        *awsClients
	opts           AccessOptions
	part           awspartition.Partition
	callerAccount  string
	controlRegion  string
	orgCreds       aws.CredentialsProvider // nil: the caller's
	orgRoleAccount string
	memberSTS      STSAPI
	orgAPI         OrganizationsAPI
	org            Organization

	mu       sync.Mutex
	sessions map[string]*aws.CredentialsCache // role ARN -> its session
}

// AccessOptions are the options of a scan that decide how accounts are
// reached (their configuration keys are those of Options).
type AccessOptions struct {
	OrganizationRoleARN string
	ExternalID          string
	SessionName         string
	Partition           string
	Concurrency         int
	RateLimits          RateLimits
}

// AccessOptionsOf takes the access options of scan options.
func AccessOptionsOf(o Options) AccessOptions {
	return AccessOptions{OrganizationRoleARN: o.OrganizationRoleARN, ExternalID: o.ExternalID, SessionName: o.SessionName,
		Partition: o.Partition, Concurrency: o.Concurrency, RateLimits: o.RateLimits}
}

// Connect learns who the caller is (GetCallerIdentity, whose ARN names the
// partition), assumes the organization role when one is configured, and
// describes the organization: three calls at most, in that order, before
// anything else. Errors name the call that failed and wrap the SDK's.
func Connect(ctx context.Context, cfg aws.Config, o AccessOptions) (*Access, error) {
	if cfg.Credentials == nil {
		return nil, errors.New("scanner: connect: aws config has no credentials")
	}
	if o.Concurrency < 1 || o.Concurrency > MaxConcurrency {
		return nil, fmt.Errorf("scanner: connect: concurrency must be 1..%d, got %d", MaxConcurrency, o.Concurrency)
	}
	if o.SessionName == "" {
		o.SessionName = DefaultSessionName
	}
	a := &Access{
		clients:  newAWSClients(cfg, newHTTPClient(o.Concurrency, DefaultAttemptTimeout), newBudget(o.Concurrency)).withRateLimits(o.RateLimits),
		opts:     o,
		sessions: map[string]*aws.CredentialsCache{},
	}
	reached, err := reachOrganization(ctx, a.clients, cfg.Region, o)
	if err != nil {
		return nil, err
	}
	a.callerAccount, a.part, a.controlRegion = reached.callerAccount, reached.part, reached.controlRegion
	a.memberSTS, a.orgAPI = reached.memberSTS, reached.orgAPI
	a.orgCreds, a.orgRoleAccount = reached.orgCreds, reached.orgRoleAccount
	out, err := a.orgAPI.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	if err != nil {
		return nil, fmt.Errorf("scanner: DescribeOrganization: %s: %w", awsErrorText(err), err)
	}
	a.org = Organization{Partition: a.part.Name}
	if out.Organization != nil {
		a.org.ID = aws.ToString(out.Organization.Id)
		a.org.ManagementAccountID = aws.ToString(out.Organization.MasterAccountId)
	}
	return a, nil
}

// Organization is the organization the credentials reach.
func (a *Access) Organization() Organization { return a.org }

// CallerAccount is the account of the caller's credentials.
func (a *Access) CallerAccount() string { return a.callerAccount }

// Organizations is the Organizations client the scan would read the
// organization with (the organization role's, when there is one).
func (a *Access) Organizations() OrganizationsAPI { return a.orgAPI }

// AccountStates lists the organization's accounts (every page of
// ListAccounts): account ID to its state (ACTIVE, SUSPENDED, ...).
func (a *Access) AccountStates(ctx context.Context) (map[string]string, error) {
	states := map[string]string{}
	_, err := listAccounts(ctx, a.orgAPI, func(accounts []orgAccount) {
		for _, acct := range accounts {
			states[acct.ID] = acct.State
		}
	})
	if err != nil {
		return nil, fmt.Errorf("scanner: %s: %w", awsErrorText(err), err)
	}
	return states, nil
}

// Route says, for a person, which credentials reach accountID when the
// role to assume in member accounts is roleName.
func (a *Access) Route(accountID, roleName string) string {
	switch accountRoute(accountID, a.callerAccount, a.org.ManagementAccountID, a.orgRoleAccount, a.orgCreds != nil) {
	case routeOrganizationRole:
		return "the organization role " + a.opts.OrganizationRoleARN
	case routeCaller:
		return "the caller's own credentials"
	}
	return "the role " + roleARN(a.part.Name, accountID, roleName)
}

// S3 returns an S3 client of accountID in region with the credentials its
// deployment gives when the role to assume in member accounts is roleName
// (its session is assumed once per account and refreshed before it
// expires). A role that cannot be assumed is an error naming the AWS error
// code, returned before any S3 call.
func (a *Access) S3(ctx context.Context, accountID, region, roleName string) (*s3.Client, error) {
	var creds aws.CredentialsProvider
	switch accountRoute(accountID, a.callerAccount, a.org.ManagementAccountID, a.orgRoleAccount, a.orgCreds != nil) {
	case routeOrganizationRole:
		creds = a.orgCreds
	case routeCaller:
	default:
		arn := roleARN(a.part.Name, accountID, roleName)
		a.mu.Lock()
		session, ok := a.sessions[arn]
		if !ok {
			session = assumedRole(a.memberSTS, arn, a.opts.ExternalID, a.opts.SessionName, memberSessionDuration)
			a.sessions[arn] = session
		}
		a.mu.Unlock()
		if err := retrieveNow(ctx, session); err != nil {
			return nil, fmt.Errorf("scanner: %s: %w", arn, err)
		}
		creds = session
	}
	// awsClients builds *s3.Client for every S3API it hands out.
	return a.clients.S3(accountID, region, creds).(*s3.Client), nil
}

// route is how one account is reached.
type route int

const (
	routeMemberRole       route = iota // a role assumed in the account
	routeOrganizationRole              // the organization role's own session
	routeCaller                        // the caller's own credentials
)

// accountRoute decides how an account is reached (README "Running against
// a real organization"). Only two accounts are reached without assuming a
// role in them, each with the credentials that hold the management policy:
//   - the organization role's own account, with that role's session;
//   - the management account when the caller runs there without an
//     organization role (deployment 1), with the caller's credentials.
//
// Every other account, the caller's own included when it is an audit or
// delegated administrator account, is reached through a role assumed in
// it: the caller there holds only sts:AssumeRole (and the Organizations
// reads), so its own credentials would fail every S3 call.
func accountRoute(accountID, callerAccount, managementAccount, orgRoleAccount string, orgRole bool) route {
	switch {
	case orgRole && accountID == orgRoleAccount:
		return routeOrganizationRole
	case !orgRole && accountID == callerAccount && accountID == managementAccount:
		return routeCaller
	}
	return routeMemberRole
}

// ErrorCode is the AWS error code of err, "" when it is no API error.
func ErrorCode(err error) string { return apiErrorCode(err) }

// ErrorText renders err as the reports do: "Code: message" when AWS
// answered with an API error, "interrupted" for a cancelled call, the
// error's text otherwise.
func ErrorText(err error) string { return awsErrorText(err) }
