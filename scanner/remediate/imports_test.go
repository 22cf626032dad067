package remediate

import (
	"go/ast"
	"go/build"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
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
	for _, name := range sourceFiles(t, dir) {
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

// sourceFiles names the Go files of the package in dir, tests left out.
func sourceFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if name := e.Name(); !e.IsDir() && strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go") {
			names = append(names, name)
		}
	}
	return names
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

// TestTheScanCommandReachesNoRemediation: cmd/ownerscan is one package, so
// a scan file that imports nothing of remediate could still call a helper
// of apply.go that does. The package is type-checked, and from the scan
// and diff commands every function and method they name is followed (a
// call through an interface follows every method of that name in the
// package: more than the real calls, never fewer); none of what they reach
// may use this package.
func TestTheScanCommandReachesNoRemediation(t *testing.T) {
	dir := filepath.Join(moduleRoot, "cmd/ownerscan")
	cmd := exec.Command("go", "list", "-export", "-deps", "-f", "{{.ImportPath}}={{.Export}}", ".")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	exports := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		path, file, _ := strings.Cut(line, "=")
		exports[path] = file
	}
	fset := token.NewFileSet()
	var files []*ast.File
	for _, name := range sourceFiles(t, dir) {
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		if ok, _ := build.Default.MatchFile(dir, name); ok {
			files = append(files, f)
		}
	}
	info := &types.Info{Uses: map[*ast.Ident]types.Object{}, Defs: map[*ast.Ident]types.Object{}}
	conf := types.Config{Importer: importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		return os.Open(exports[path])
	})}
	if _, err := conf.Check(modulePath+"/cmd/ownerscan", fset, files, info); err != nil {
		t.Fatal(err)
	}
	bodies := map[types.Object]*ast.FuncDecl{}
	byName := map[string][]types.Object{} // methods of the package, by name
	var roots []types.Object
	for _, f := range files {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			obj := info.Defs[fd.Name]
			bodies[obj] = fd
			if fd.Recv != nil {
				byName[fd.Name.Name] = append(byName[fd.Name.Name], obj)
			}
			if fd.Name.Name == "scanCommand" || fd.Name.Name == "diffCommand" {
				roots = append(roots, obj)
			}
		}
	}
	if len(roots) != 2 {
		t.Fatalf("cmd/ownerscan declares %d of scanCommand and diffCommand: the walk would prove nothing", len(roots))
	}
	from := map[types.Object]types.Object{} // reached -> what named it first
	queue := append([]types.Object(nil), roots...)
	for _, r := range roots {
		from[r] = nil
	}
	reach := func(obj, by types.Object) {
		if _, seen := from[obj]; !seen && bodies[obj] != nil {
			from[obj] = by
			queue = append(queue, obj)
		}
	}
	for len(queue) > 0 {
		fn := queue[0]
		queue = queue[1:]
		ast.Inspect(bodies[fn].Body, func(n ast.Node) bool {
			id, ok := n.(*ast.Ident)
			if !ok {
				return true
			}
			obj := info.Uses[id]
			if obj == nil {
				return true
			}
			if obj.Pkg() != nil && obj.Pkg().Path() == remediatePath {
				path := fn.Name()
				for p := from[fn]; p != nil; p = from[p] {
					path = p.Name() + " -> " + path
				}
				t.Errorf("%s uses remediate.%s", path, obj.Name())
			}
			if f, ok := obj.(*types.Func); ok {
				reach(f, fn)
				if sig := f.Type().(*types.Signature); sig.Recv() != nil && types.IsInterface(sig.Recv().Type()) {
					for _, m := range byName[f.Name()] {
						reach(m, fn)
					}
				}
			}
			return true
		})
	}
	if len(from) < 20 {
		t.Errorf("the walk reached only %d functions from the scan and diff commands: it follows too little to prove anything", len(from))
	}
}
