package remediate

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const (
	modulePath    = "github.com/ownerscan/ownerscan"
	remediatePath = modulePath + "/scanner/remediate"
	moduleRoot    = "../.."
)

// imports returns the module packages the non-test Go files of the
// package in dir import, and the files that import remediatePath.
func imports(t *testing.T, dir string) (deps []string, importers []string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(dir, name), nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if path == remediatePath {
				importers = append(importers, name)
			}
			if strings.HasPrefix(path, modulePath+"/") && !slices.Contains(deps, path) {
				deps = append(deps, path)
			}
		}
	}
	return deps, importers
}

// TestNothingOnTheScanPathImportsRemediate: a reader sees from the imports
// alone that a scan cannot change a bucket. No package the scanner or the
// report writers are built from (following every import inside the
// module) imports this package, and in cmd/ownerscan only the files of the
// plan, apply, rollback and demo commands do.
func TestNothingOnTheScanPathImportsRemediate(t *testing.T) {
	seen := map[string]bool{}
	queue := []string{modulePath + "/scanner", modulePath + "/report"}
	for len(queue) > 0 {
		pkg := queue[0]
		queue = queue[1:]
		if seen[pkg] {
			continue
		}
		seen[pkg] = true
		if pkg == remediatePath {
			t.Fatalf("the scan path imports %s", remediatePath)
		}
		deps, importers := imports(t, filepath.Join(moduleRoot, strings.TrimPrefix(pkg, modulePath+"/")))
		if len(importers) > 0 {
			t.Errorf("%s imports %s in %v", pkg, remediatePath, importers)
		}
		queue = append(queue, deps...)
	}
	if !seen[modulePath+"/scanner/policy"] || !seen[modulePath+"/scanner/versionlist"] {
		t.Errorf("the walk missed the scanner's own packages: %v", seen)
	}

	allowed := []string{"apply.go", "demo_remediate.go", "plan.go", "remediate_print.go", "remediate_setup.go", "rollback.go", "run.go"}
	_, importers := imports(t, filepath.Join(moduleRoot, "cmd/ownerscan"))
	for _, name := range importers {
		if !slices.Contains(allowed, name) {
			t.Errorf("cmd/ownerscan/%s imports %s; only the remediation commands (%v) may", name, remediatePath, allowed)
		}
	}
	if !slices.Contains(importers, "apply.go") {
		t.Errorf("the walk found no importer in cmd/ownerscan: %v", importers)
	}
	for _, name := range []string{"scan.go", "publish.go", "flags.go"} {
		if slices.Contains(importers, name) {
			t.Errorf("cmd/ownerscan/%s, on the scan path, imports %s", name, remediatePath)
		}
	}
}
