package awspartition

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestPartitionRegionsMatchTheSDK compares the partitions with the
// partition metadata of the AWS SDK module this build uses, read from the
// module cache: when the SDK is upgraded and knows new regions, this fails
// and says what to write.
func TestPartitionRegionsMatchTheSDK(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/aws/aws-sdk-go-v2").Output()
	if err != nil {
		t.Fatalf("go list the SDK module: %v", err)
	}
	path := filepath.Join(strings.TrimSpace(string(out)), "internal", "endpoints", "awsrulesfn", "partitions.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	type sdkPartition struct {
		ID          string
		RegionRegex string
		Regions     map[string]json.RawMessage
	}
	var meta struct{ Partitions []sdkPartition }
	if err := json.Unmarshal(data, &meta); err != nil {
		t.Fatal(err)
	}
	for _, want := range partitions {
		i := slices.IndexFunc(meta.Partitions, func(p sdkPartition) bool { return p.ID == want.Name })
		if i < 0 {
			t.Errorf("partition %s is not in %s", want.Name, path)
			continue
		}
		p := meta.Partitions[i]
		if p.RegionRegex != want.regions.String() {
			t.Errorf("%s: pattern %s, the SDK has %s", p.ID, want.regions, p.RegionRegex)
		}
		re := regexp.MustCompile(p.RegionRegex)
		var regions []string
		for r := range p.Regions {
			if re.MatchString(r) { // not the pseudo-regions such as aws-global
				regions = append(regions, r)
			}
		}
		slices.Sort(regions)
		if !slices.Equal(regions, want.Regions()) {
			t.Errorf("%s: regions %q, the SDK has %q", p.ID, want.Regions(), regions)
		}
	}
}
