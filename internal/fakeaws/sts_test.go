package fakeaws

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func TestGetCallerIdentityLongTermKey(t *testing.T) {
	srv := coreServe(t, coreScenario(t, coreSmallOrg))
	out, err := coreSTS(coreAccountConfig(t, srv, "222222222222")).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if *out.Account != "222222222222" || *out.Arn != "arn:aws:iam::222222222222:user/fakeaws-admin" || !strings.HasPrefix(*out.UserId, "AIDA") {
		t.Errorf("got account %s arn %s user %s", *out.Account, *out.Arn, *out.UserId)
	}
}

func TestAssumeRoleBindsSessionToRoleAccount(t *testing.T) {
	srv := coreServe(t, coreScenario(t, coreSmallOrg))
	ctx := context.Background()
	mgmt := coreAccountConfig(t, srv, "111111111111")
	out, err := coreSTS(mgmt).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn:         aws.String("arn:aws:iam::222222222222:role/OrganizationAccountAccessRole"),
		RoleSessionName: aws.String("ownerscan"),
		DurationSeconds: aws.Int32(900),
	})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	if !strings.HasPrefix(*c.AccessKeyId, "ASIA") || *c.SessionToken == "" {
		t.Errorf("credentials %+v", c)
	}
	if d := time.Until(*c.Expiration); d < 14*time.Minute || d > 15*time.Minute {
		t.Errorf("expiration in %v, want ~15m", d)
	}
	if got, want := *out.AssumedRoleUser.Arn, "arn:aws:sts::222222222222:assumed-role/OrganizationAccountAccessRole/ownerscan"; got != want {
		t.Errorf("arn %s, want %s", got, want)
	}
	if !strings.HasSuffix(*out.AssumedRoleUser.AssumedRoleId, ":ownerscan") {
		t.Errorf("role id %s", *out.AssumedRoleUser.AssumedRoleId)
	}
	session := coreConfig(srv, *c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken)
	id, err := coreSTS(session).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if *id.Account != "222222222222" || *id.Arn != *out.AssumedRoleUser.Arn {
		t.Errorf("session identity %s %s", *id.Account, *id.Arn)
	}
}

func TestAssumeRoleErrors(t *testing.T) {
	srv := coreServe(t, coreScenario(t, coreSmallOrg))
	ctx := context.Background()
	mgmt := coreAccountConfig(t, srv, "111111111111")
	hub := coreAssume(t, srv, mgmt, "arn:aws:iam::555555555555:role/Hub")
	role := func(acct, name string) string { return "arn:aws:iam::" + acct + ":role/" + name }
	tests := []struct {
		name     string
		cfg      aws.Config
		in       sts.AssumeRoleInput
		code     string
		status   int
		contains string
	}{
		{"role missing", mgmt, sts.AssumeRoleInput{RoleArn: aws.String(role("222222222222", "Nope"))}, "AccessDenied", 403, "is not authorized to perform: sts:AssumeRole"},
		{"account not in scenario", mgmt, sts.AssumeRoleInput{RoleArn: aws.String(role("123456789012", "OrganizationAccountAccessRole"))}, "AccessDenied", 403, ""},
		{"trust excludes caller", mgmt, sts.AssumeRoleInput{RoleArn: aws.String(role("555555555555", "OrganizationAccountAccessRole"))}, "AccessDenied", 403, ""},
		{"member not trusted", coreAccountConfig(t, srv, "222222222222"), sts.AssumeRoleInput{RoleArn: aws.String(role("333333333333", "OrganizationAccountAccessRole"))}, "AccessDenied", 403, "arn:aws:iam::222222222222:user/fakeaws-admin"},
		{"suspended account", mgmt, sts.AssumeRoleInput{RoleArn: aws.String(role("444444444444", "OrganizationAccountAccessRole"))}, "AccessDenied", 403, ""},
		{"closed account", mgmt, sts.AssumeRoleInput{RoleArn: aws.String(role("666666666666", "OrganizationAccountAccessRole"))}, "AccessDenied", 403, ""},
		{"external id missing", mgmt, sts.AssumeRoleInput{RoleArn: aws.String(role("555555555555", "Audit"))}, "AccessDenied", 403, ""},
		{"external id wrong", mgmt, sts.AssumeRoleInput{RoleArn: aws.String(role("555555555555", "Audit")), ExternalId: aws.String("other-id")}, "AccessDenied", 403, ""},
		{"session name short", mgmt, sts.AssumeRoleInput{RoleArn: aws.String(role("222222222222", "OrganizationAccountAccessRole")), RoleSessionName: aws.String("x")}, "ValidationError", 400, "roleSessionName"},
		{"session name chars", mgmt, sts.AssumeRoleInput{RoleArn: aws.String(role("222222222222", "OrganizationAccountAccessRole")), RoleSessionName: aws.String("has space")}, "ValidationError", 400, ""},
		{"duration too short", mgmt, sts.AssumeRoleInput{RoleArn: aws.String(role("222222222222", "OrganizationAccountAccessRole")), DurationSeconds: aws.Int32(899)}, "ValidationError", 400, "durationSeconds"},
		{"duration too long", mgmt, sts.AssumeRoleInput{RoleArn: aws.String(role("222222222222", "OrganizationAccountAccessRole")), DurationSeconds: aws.Int32(43201)}, "ValidationError", 400, ""},
		{"chained over an hour", hub, sts.AssumeRoleInput{RoleArn: aws.String(role("222222222222", "OrganizationAccountAccessRole")), DurationSeconds: aws.Int32(3601)}, "ValidationError", 400, "role chaining"},
		{"malformed arn", mgmt, sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::22:role/x")}, "ValidationError", 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			if in.RoleSessionName == nil {
				in.RoleSessionName = aws.String("s1")
			}
			_, err := coreSTS(tt.cfg).AssumeRole(ctx, &in)
			if err == nil {
				t.Fatal("AssumeRole succeeded, want an error")
			}
			if code := coreErrCode(t, err); code != tt.code {
				t.Errorf("code %s, want %s (%v)", code, tt.code, err)
			}
			if st := coreHTTPStatus(err); st != tt.status {
				t.Errorf("status %d, want %d", st, tt.status)
			}
			if !strings.Contains(err.Error(), tt.contains) {
				t.Errorf("error %q does not contain %q", err, tt.contains)
			}
		})
	}
}

func TestAssumeRoleSuccessCases(t *testing.T) {
	srv := coreServe(t, coreScenario(t, coreSmallOrg))
	ctx := context.Background()
	mgmt := coreAccountConfig(t, srv, "111111111111")
	// Correct external ID.
	if _, err := coreSTS(mgmt).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::555555555555:role/Audit"), RoleSessionName: aws.String("a@b.c=d,e-f_g+h"),
		ExternalId: aws.String("secret-ext-id"),
	}); err != nil {
		t.Errorf("with external id: %v", err)
	}
	// Pending-closure accounts can still be entered.
	if _, err := coreSTS(mgmt).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::777777777777:role/OrganizationAccountAccessRole"), RoleSessionName: aws.String("pc"),
	}); err != nil {
		t.Errorf("pending closure: %v", err)
	}
	// Role chaining within one hour, and a role path in the ARN.
	hub := coreAssume(t, srv, mgmt, "arn:aws:iam::555555555555:role/Hub")
	out, err := coreSTS(hub).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::555555555555:role/some/path/Audit"), RoleSessionName: aws.String("chain"),
		ExternalId: aws.String("secret-ext-id"), DurationSeconds: aws.Int32(3600),
	})
	if err != nil {
		t.Fatalf("chained: %v", err)
	}
	if *out.AssumedRoleUser.Arn != "arn:aws:sts::555555555555:assumed-role/Audit/chain" {
		t.Errorf("chained arn %s", *out.AssumedRoleUser.Arn)
	}
}

func TestAssumeRoleSessionDurationCapAndExpiry(t *testing.T) {
	sc := coreScenario(t, coreSmallOrg+"session_duration: 1s\n")
	srv := coreServe(t, sc)
	ctx := context.Background()
	mgmt := coreAccountConfig(t, srv, "111111111111")
	out, err := coreSTS(mgmt).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::222222222222:role/OrganizationAccountAccessRole"), RoleSessionName: aws.String("short"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Until(*out.Credentials.Expiration); d > 2*time.Second {
		t.Errorf("expiration in %v, want capped at 1s", d)
	}
	// Move the emulator's clock instead of sleeping.
	srv.Emulator.now = func() time.Time { return time.Now().Add(2 * time.Second) }
	c := out.Credentials
	session := coreConfig(srv, *c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken)
	_, err = coreSTS(session).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if code := coreErrCode(t, err); code != "ExpiredTokenException" {
		t.Errorf("sts code %s, want ExpiredTokenException", code)
	}
	_, err = coreOrgs(session).DescribeOrganization(ctx, nil)
	if code := coreErrCode(t, err); code != "ExpiredTokenException" {
		t.Errorf("organizations code %s, want ExpiredTokenException", code)
	}
	_, err = coreS3(session).ListBuckets(ctx, nil)
	if code := coreErrCode(t, err); code != "ExpiredToken" {
		t.Errorf("s3 code %s, want ExpiredToken", code)
	}
	if st := coreHTTPStatus(err); st != 400 {
		t.Errorf("s3 status %d, want 400", st)
	}
}

// BenchmarkGetCallerIdentity measures one signed STS round trip through the
// SDK and the emulator (SigV4 verification included).
func BenchmarkGetCallerIdentity(b *testing.B) {
	srv := coreServe(b, coreScenario(b, coreSmallOrg))
	client := coreSTS(coreAccountConfig(b, srv, "111111111111"))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
			b.Fatal(err)
		}
	}
}
