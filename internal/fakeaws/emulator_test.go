package fakeaws

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// coreScenario parses YAML for a test, failing the test on error.
func coreScenario(t testing.TB, doc string) *Scenario {
	t.Helper()
	sc, err := ParseScenario([]byte(doc))
	if err != nil {
		t.Fatalf("ParseScenario: %v", err)
	}
	return sc
}

// coreServe starts a server for sc on loopback, closed at test end.
func coreServe(t testing.TB, sc *Scenario) *Server {
	t.Helper()
	srv, err := NewServer(sc, "")
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return srv
}

// coreConfig is an SDK config pointed at srv with static credentials and
// a single attempt, so error codes reach the test unretried.
func coreConfig(srv *Server, keyID, secret, token string) aws.Config {
	return aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider(keyID, secret, token),
		BaseEndpoint:     aws.String(srv.URL),
		RetryMaxAttempts: 1,
	}
}

// coreAccountConfig is coreConfig with the long-term key of an account.
func coreAccountConfig(t testing.TB, srv *Server, accountID string) aws.Config {
	t.Helper()
	id, secret, ok := srv.Emulator.CredentialsFor(accountID)
	if !ok {
		t.Fatalf("no credentials for %s", accountID)
	}
	return coreConfig(srv, id, secret, "")
}

func coreSTS(cfg aws.Config) *sts.Client { return sts.NewFromConfig(cfg) }

func coreOrgs(cfg aws.Config) *organizations.Client { return organizations.NewFromConfig(cfg) }

func coreS3(cfg aws.Config) *s3.Client {
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
}

// coreErrCode returns the API error code of err, failing if there is none.
func coreErrCode(t testing.TB, err error) string {
	t.Helper()
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("want an API error, got %v", err)
	}
	return apiErr.ErrorCode()
}

// coreHTTPStatus returns the HTTP status of an SDK error, or 0.
func coreHTTPStatus(err error) int {
	var withStatus interface{ HTTPStatusCode() int }
	if errors.As(err, &withStatus) {
		return withStatus.HTTPStatusCode()
	}
	return 0
}

// coreAssume assumes a role with the given config and returns a config
// using the session's credentials.
func coreAssume(t testing.TB, srv *Server, cfg aws.Config, roleARN string) aws.Config {
	t.Helper()
	out, err := coreSTS(cfg).AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn: aws.String(roleARN), RoleSessionName: aws.String("test-session"),
	})
	if err != nil {
		t.Fatalf("AssumeRole %s: %v", roleARN, err)
	}
	c := out.Credentials
	return coreConfig(srv, *c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken)
}

// coreSmallOrg is a small organization used by several tests.
const coreSmallOrg = `
management_account: "111111111111"
organizational_units: [Workloads, Workloads/Dev, Sandbox]
accounts:
  - {id: "111111111111", name: Mgmt}
  - {id: "222222222222", name: B, ou: Workloads}
  - {id: "333333333333", name: C, ou: Workloads/Dev}
  - {id: "444444444444", name: D, ou: Workloads/Dev, status: SUSPENDED}
  - id: "555555555555"
    name: E
    ou: Sandbox
    roles:
      - {name: OrganizationAccountAccessRole, trust: ["999999999999"]}
      - {name: Audit, trust: ["111111111111", "555555555555"], external_id: "secret-ext-id"}
      - {name: Hub, trust: ["111111111111"]}
  - {id: "666666666666", name: F, status: CLOSED}
  - {id: "777777777777", name: G, status: PENDING_CLOSURE}
buckets:
  - {name: b-bucket, account: "222222222222"}
`
