package fakeaws

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func TestCountersGoAndJSON(t *testing.T) {
	srv := coreServe(t, coreScenario(t, coreSmallOrg))
	ctx := context.Background()
	mgmt := coreAccountConfig(t, srv, "111111111111")
	for range 3 {
		if _, err := coreSTS(mgmt).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := coreOrgs(mgmt).ListAccounts(ctx, &organizations.ListAccountsInput{}); err != nil {
		t.Fatal(err)
	}
	member := coreAssume(t, srv, mgmt, "arn:aws:iam::222222222222:role/OrganizationAccountAccessRole")
	_, _ = coreS3(member).ListBuckets(ctx, &s3.ListBucketsInput{})
	// Failed calls count too: a bad signature and an unknown key.
	_, _ = coreSTS(coreConfig(srv, "AKIAUNKNOWNUNKNOWN12", "x", "")).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	id, _ := srv.Emulator.ManagementCredentials()
	_, _ = coreSTS(coreConfig(srv, id, "wrong", "")).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})

	got := srv.Emulator.Counters()
	if got.Total != 8 {
		t.Errorf("total %d, want 8", got.Total)
	}
	if got.ByOperation["GetCallerIdentity"] != 5 || got.ByOperation["AssumeRole"] != 1 || got.ByOperation["ListAccounts"] != 1 || got.ByOperation["ListBuckets"] != 1 {
		t.Errorf("by operation %v", got.ByOperation)
	}
	if got.ByAccount["111111111111"] != 6 || got.ByAccount["222222222222"] != 1 || got.ByAccount[""] != 1 {
		t.Errorf("by account %v", got.ByAccount)
	}
	if got.ByAccountOperation["222222222222"]["ListBuckets"] != 1 || got.ByAccountOperation["111111111111"]["GetCallerIdentity"] != 4 {
		t.Errorf("by account and operation %v", got.ByAccountOperation)
	}

	resp, err := http.Get(srv.URL + CountersPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var fromJSON CounterSnapshot
	if err := json.NewDecoder(resp.Body).Decode(&fromJSON); err != nil {
		t.Fatal(err)
	}
	if fromJSON.Total != got.Total || fromJSON.ByAccountOperation["222222222222"]["ListBuckets"] != 1 {
		t.Errorf("JSON snapshot %+v", fromJSON)
	}
	if after := srv.Emulator.Counters().Total; after != got.Total {
		t.Errorf("the counters endpoint counted itself: %d", after)
	}
}

func TestCountersConcurrent(t *testing.T) {
	c := newCounters()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1000 {
				c.add([]string{"A", "B"}[i%2], []string{"1", "2", "3"}[g%3])
				if i%100 == 0 {
					_ = c.snapshot()
				}
			}
		}()
	}
	wg.Wait()
	s := c.snapshot()
	if s.Total != 8000 || s.ByOperation["A"] != 4000 || s.ByAccount["1"] != 3000 {
		t.Errorf("snapshot %+v", s)
	}
}
