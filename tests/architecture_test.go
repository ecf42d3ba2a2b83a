package tests

import (
	"encoding/json"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/otpcard/otpcard"

type goPackage struct {
	ImportPath string
	Imports    []string
	Deps       []string
	Standard   bool
}

// listPackages runs go list over the module.
func listPackages(t *testing.T) []goPackage {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps=false", "-json", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	var pkgs []goPackage
	for dec.More() {
		var p goPackage
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// standard lists the standard library packages among paths.
func isStandard(t *testing.T, paths []string) map[string]bool {
	t.Helper()
	if len(paths) == 0 {
		return nil
	}
	args := append([]string{"list", "-f", "{{.ImportPath}} {{.Standard}}"}, paths...)
	out, err := exec.Command("go", args...).Output()
	if err != nil {
		t.Fatalf("go list std: %v", err)
	}
	std := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		path, flag, _ := strings.Cut(line, " ")
		std[path] = flag == "true"
	}
	return std
}

// adapterOf names the adapter a package belongs to, or "".
func adapterOf(path string) string {
	rest, ok := strings.CutPrefix(path, module+"/adapters/")
	if !ok {
		return ""
	}
	name, _, _ := strings.Cut(rest, "/")
	return name
}

// TestDependenciesPointInward enforces DESIGN.md's rules: domain imports the standard library
// (and other domain packages) only; application imports no adapter or bootstrap; adapters never
// import each other; only bootstrap imports fx.
func TestDependenciesPointInward(t *testing.T) {
	pkgs := listPackages(t)
	if len(pkgs) < 10 {
		t.Fatalf("got %d packages, want the whole module", len(pkgs))
	}
	for _, p := range pkgs {
		layer := strings.TrimPrefix(p.ImportPath, module+"/")
		var external []string
		for _, imp := range p.Imports {
			switch {
			case strings.HasPrefix(imp, "go.uber.org/fx") && !strings.HasPrefix(layer, "bootstrap"):
				t.Errorf("%s imports %s: only bootstrap may import fx", p.ImportPath, imp)
			case strings.HasPrefix(layer, "domain"):
				if strings.HasPrefix(imp, module+"/") && !strings.HasPrefix(imp, module+"/domain/") {
					t.Errorf("%s imports %s: domain imports only domain", p.ImportPath, imp)
				}
				if !strings.HasPrefix(imp, module+"/") {
					external = append(external, imp)
				}
			case strings.HasPrefix(layer, "application"):
				if strings.HasPrefix(imp, module+"/adapters") || strings.HasPrefix(imp, module+"/bootstrap") {
					t.Errorf("%s imports %s: application must not know adapters or bootstrap", p.ImportPath, imp)
				}
			case strings.HasPrefix(layer, "adapters"):
				if other := adapterOf(imp); other != "" && other != adapterOf(p.ImportPath) {
					t.Errorf("%s imports %s: adapters never import each other", p.ImportPath, imp)
				}
				if strings.HasPrefix(imp, module+"/bootstrap") {
					t.Errorf("%s imports %s: adapters must not know bootstrap", p.ImportPath, imp)
				}
			}
		}
		for path, std := range isStandard(t, external) {
			if !std {
				t.Errorf("%s imports %s: domain uses the standard library only", p.ImportPath, path)
			}
		}
	}
}

// isTestSupport reports whether a package of this module exists to serve tests: the in-memory
// fakes and contract suites of a module (application/directory/directorytest,
// application/credential/credentialtest) and pgtest's throwaway databases, named like
// net/http/httptest.
func isTestSupport(importPath string) bool {
	rest, ok := strings.CutPrefix(importPath, module+"/")
	return ok && strings.HasSuffix(rest[strings.LastIndex(rest, "/")+1:], "test")
}

// TestArchitectureTestPackagesOnlyInTests keeps the fakes out of the service: a test-support
// package is imported by test files (and other test-support packages) only, so no production code
// can take a fake for a store, and the otpcard binary links neither them nor the testing package.
func TestArchitectureTestPackagesOnlyInTests(t *testing.T) {
	var support []string
	for _, p := range listPackages(t) {
		if isTestSupport(p.ImportPath) {
			support = append(support, p.ImportPath)
			continue
		}
		for _, imp := range p.Imports {
			if isTestSupport(imp) {
				t.Errorf("%s imports %s: only tests may use a test-support package", p.ImportPath, imp)
			}
		}
	}
	for _, want := range []string{"application/directory/directorytest", "application/credential/credentialtest", "application/storetest", "adapters/postgres/pgtest"} {
		if !slices.Contains(support, module+"/"+want) {
			t.Errorf("test-support packages: got %v, want %s among them", support, want)
		}
	}
	out, err := exec.Command("go", "list", "-deps", module).Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep == "testing" || isTestSupport(dep) {
			t.Errorf("the otpcard binary links %s, want no test code in it", dep)
		}
	}
}
