package scanner

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/smithy-go"

	"github.com/ownerscan/ownerscan/internal/answer"
)

// Session lengths. Member sessions are short (the default of stscreds) and
// refreshed early by the credentials cache; the organization role's session
// is chained from the caller's, where AWS allows at most one hour.
const (
	memberSessionDuration = 15 * time.Minute
	orgSessionDuration    = time.Hour
)

// roleARN builds the ARN of a role in an account of a partition.
func roleARN(partition, accountID, roleName string) string {
	return "arn:" + partition + ":iam::" + accountID + ":role/" + roleName
}

var arnPartitionPattern = regexp.MustCompile(`^arn:([a-z0-9-]+):`)

// partitionOf returns the partition of an ARN, "" when it has none.
func partitionOf(arn string) string {
	if m := arnPartitionPattern.FindStringSubmatch(arn); m != nil {
		return m[1]
	}
	return ""
}

// accountOfARN returns the account ID field of an IAM/STS ARN.
func accountOfARN(arn string) string {
	m := roleARNPattern.FindStringSubmatch(arn)
	if m == nil {
		return ""
	}
	return m[2]
}

// assumedRole returns cached, early-refreshing credentials of a role:
// stscreds asks STS only when the cache is empty or the session is near its
// end. Concurrent Retrieve calls share one AssumeRole.
func assumedRole(api STSAPI, arn, externalID, sessionName string, d time.Duration) *aws.CredentialsCache {
	p := stscreds.NewAssumeRoleProvider(api, arn, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = sessionName
		o.Duration = d
		if externalID != "" {
			o.ExternalID = aws.String(externalID)
		}
	})
	return aws.NewCredentialsCache(earlyRefresh{p})
}

// earlyRefresh moves a session's expiry forward by a fifth of the lifetime
// STS actually granted (at most 2 minutes), less up to 10% jitter so that
// thousands of accounts do not refresh at once. A fixed ExpiryWindow on the
// cache would not do: a role whose maximum session is shorter than the
// window would make every call refresh.
type earlyRefresh struct{ aws.CredentialsProvider }

func (e earlyRefresh) Retrieve(ctx context.Context) (aws.Credentials, error) {
	c, err := e.CredentialsProvider.Retrieve(ctx)
	if err != nil || !c.CanExpire {
		return c, err
	}
	life := time.Until(c.Expires)
	if life <= 0 {
		// Already expired by our clock (a slow answer, or clock skew):
		// use it as is; the next call refreshes it, and a request it
		// signs that AWS finds expired is retried (clients.go).
		return c, nil
	}
	window := min(life/5, 2*time.Minute)
	window += time.Duration(rand.Int64N(int64(window/10) + 1))
	c.Expires = c.Expires.Add(-window)
	return c, nil
}

// retrieveNow fetches credentials once, so that a denied AssumeRole fails
// the account up front with the AWS error code, instead of failing every
// one of its calls.
func retrieveNow(ctx context.Context, c *aws.CredentialsCache) error {
	if _, err := c.Retrieve(ctx); err != nil {
		return fmt.Errorf("AssumeRole: %s", awsErrorText(err))
	}
	return nil
}

// apiErrorCode is the AWS error code of err, "" when it is no API error.
func apiErrorCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}

// awsErrorText renders an error for the report: "Code: message" when AWS
// answered with an API error; what was wrong with the answer when it was
// not the document the operation returns (answer.Error); the error text
// otherwise. Attempts are counted where the call gave up after retrying. It
// never contains credentials: API errors carry only the service's code and
// message, and answers holding credentials are never quoted.
func awsErrorText(err error) string {
	var answerErr *answer.Error
	var apiErr smithy.APIError
	var timeout attemptTimeoutError
	switch {
	case errors.As(err, &answerErr):
		return answerErr.Text() + attemptsText(err)
	case errors.As(err, &apiErr):
		msg := apiErr.ErrorMessage()
		if msg == "" {
			return apiErr.ErrorCode()
		}
		return apiErr.ErrorCode() + ": " + msg
	case errors.As(err, &timeout):
		return timeout.Error() + attemptsText(err)
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return "interrupted"
	}
	return err.Error()
}

// attemptsText says how many attempts a call made before it gave up, ""
// when it did not retry.
func attemptsText(err error) string {
	var timedOut *timedOutCallError
	var maxed *retry.MaxAttemptsError
	switch {
	case errors.As(err, &timedOut):
		return fmt.Sprintf(" (%d attempts timed out)", timedOut.attempts)
	case errors.As(err, &maxed):
		return fmt.Sprintf(" (after %d attempts)", maxed.Attempt)
	}
	return ""
}
