package fakeaws

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func TestLongTermKeysAreStableAndDistinct(t *testing.T) {
	sc := coreScenario(t, coreSmallOrg)
	e1, err := New(sc)
	if err != nil {
		t.Fatal(err)
	}
	e2, err := New(coreScenario(t, coreSmallOrg))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, a := range sc.Accounts {
		id1, secret1, ok1 := e1.CredentialsFor(a.ID)
		id2, secret2, ok2 := e2.CredentialsFor(a.ID)
		if !ok1 || !ok2 || id1 != id2 || secret1 != secret2 {
			t.Errorf("%s: keys differ between emulators", a.ID)
		}
		if !strings.HasPrefix(id1, "AKIA") || len(id1) != 20 || len(secret1) != 40 || seen[id1] {
			t.Errorf("%s: key %q secret length %d", a.ID, id1, len(secret1))
		}
		seen[id1] = true
	}
	if _, _, ok := e1.CredentialsFor("999999999999"); ok {
		t.Error("credentials for an account outside the scenario")
	}
	if id, _ := e1.ManagementCredentials(); id != mustKey(t, e1, "111111111111") {
		t.Error("ManagementCredentials is not the management account's key")
	}
}

func mustKey(t *testing.T, e *Emulator, acct string) string {
	t.Helper()
	id, _, ok := e.CredentialsFor(acct)
	if !ok {
		t.Fatalf("no key for %s", acct)
	}
	return id
}

// TestConcurrentSessions mints and uses sessions from many goroutines; run
// with -race.
func TestConcurrentSessions(t *testing.T) {
	srv := coreServe(t, coreScenario(t, coreSmallOrg))
	mgmt := coreAccountConfig(t, srv, "111111111111")
	client := coreSTS(mgmt)
	var wg sync.WaitGroup
	keys := make([]string, 16)
	for i := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := client.AssumeRole(context.Background(), &sts.AssumeRoleInput{
				RoleArn: aws.String("arn:aws:iam::222222222222:role/OrganizationAccountAccessRole"), RoleSessionName: aws.String("parallel"),
			})
			if err != nil {
				t.Error(err)
				return
			}
			c := out.Credentials
			keys[i] = *c.AccessKeyId
			id, err := coreSTS(coreConfig(srv, *c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken)).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
			if err != nil || *id.Account != "222222222222" {
				t.Errorf("session identity %v %v", id, err)
			}
		}()
	}
	wg.Wait()
	unique := map[string]bool{}
	for _, k := range keys {
		unique[k] = true
	}
	if len(unique) != len(keys) {
		t.Errorf("%d distinct session keys for %d sessions", len(unique), len(keys))
	}
}
