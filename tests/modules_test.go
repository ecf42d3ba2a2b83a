package tests

import (
	"go/ast"
	"go/parser"
	gotoken "go/token"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The modules of otpcard are found, not listed, so that adding one is adding files: every
// package application/<name> that is not below is a module, a bounded context, and owns
// application/<name>/... and domain/<name>/.... The rest is the shared kernel, which every module
// may use: domain/access, domain/event, domain/extid, domain/fault, application/caller,
// application/listing, application/storetest (for the contract suites), and the platform,
// application/outbox (the event log).
var sharedKernel = []string{"domain/access", "domain/event", "domain/extid", "domain/fault",
	"application/caller", "application/listing", "application/outbox", "application/storetest"}

// foundModules lists the modules under application/.
func foundModules(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join("..", "application"))
	if err != nil {
		t.Fatalf("read application/: %v", err)
	}
	var mods []string
	for _, e := range entries {
		if e.IsDir() && !slices.Contains(sharedKernel, "application/"+e.Name()) {
			mods = append(mods, e.Name())
		}
	}
	return mods
}

// legacyTables are the owners of the tables created before migrations named their module. A
// migration that creates tables starts with "-- module: <name>" (or "-- module: platform"), and
// those tables are that module's.
var legacyTables = map[string]string{
	"clients": "directory", "users": "directory",
	"policies": "credential", "otp_cards": "credential", "holders": "credential",
	"audit_events": "audit",
	"events":       "platform", "event_cursors": "platform", "schema_migrations": "platform",
}

var (
	createTable   = regexp.MustCompile(`(?i)\bcreate\s+(?:unlogged\s+)?table\s+(?:if\s+not\s+exists\s+)?"?([a-z_][a-z0-9_]*)`)
	moduleHeading = regexp.MustCompile(`(?m)\A(?:--.*\n)*?-- module: ([a-z]+)\s*$`)
)

// tableOwners maps every table to its module ("platform" for the event log's tables), from
// legacyTables and the migrations' headings; it fails for a table nobody owns.
func tableOwners(t *testing.T, mods []string) map[string]string {
	t.Helper()
	owners := maps.Clone(legacyTables)
	dir := filepath.Join("..", "adapters", "postgres", "migrations")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("read migrations: %v", err)
	}
	created := 0
	for _, e := range entries {
		src, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatalf("read %s: %v", e.Name(), err)
		}
		heading := ""
		if m := moduleHeading.FindStringSubmatch(string(src)); m != nil {
			heading = m[1]
			if heading != "platform" && !slices.Contains(mods, heading) {
				t.Errorf("%s names module %q, which does not exist (modules: %v)", e.Name(), heading, mods)
			}
		}
		for _, m := range createTable.FindAllStringSubmatch(string(src), -1) {
			created++
			switch owner, legacy := owners[m[1]]; {
			case heading != "" && legacy && owner != heading:
				t.Errorf("%s creates table %s for module %s, but it is module %s's", e.Name(), m[1], heading, owner)
			case heading != "":
				owners[m[1]] = heading
			case !legacy:
				t.Errorf("%s creates table %s but names no module: start the migration with \"-- module: <name>\"", e.Name(), m[1])
			}
		}
	}
	if created < len(legacyTables)-1 { // schema_migrations is created by the migrator
		t.Fatalf("found %d CREATE TABLE statements for %d legacy tables: the pattern no longer reads the migrations", created, len(legacyTables))
	}
	return owners
}

// A seam is the one kind of file of a module allowed to import another module: the file
// application/<module>/<other>_seam.go, which implements an interface that module <other> owns
// (DESIGN.md rule 6, the transaction-provider pattern) and may import application/<other> and
// domain/<other>, nothing else of it. Adding a seam is adding such a file; the test names the
// seams it finds, and the README's Layout describes them.
var seamFile = regexp.MustCompile(`^application/([a-z]+)/([a-z]+)_seam\.go$`)

// seamOf returns the module a seam file reaches, or "" for a file that is no seam.
func seamOf(path string, mods []string) string {
	m := seamFile.FindStringSubmatch(path)
	if m == nil || m[1] == m[2] || !slices.Contains(mods, m[1]) || !slices.Contains(mods, m[2]) {
		return ""
	}
	return m[2]
}

// implementsOwnersInterface reports whether a seam file asserts that it implements an interface of
// the package it imports from the module it reaches ("var _ alias.Name = ...").
func implementsOwnersInterface(f sourceFile, other string) bool {
	alias := other
	imp := regexp.MustCompile(`(?m)^\s*(?:([a-zA-Z_][a-zA-Z0-9_]*)\s+)?"` + regexp.QuoteMeta(module+"/application/"+other) + `"`)
	m := imp.FindStringSubmatch(f.src)
	if m == nil {
		return false
	}
	if m[1] != "" {
		alias = m[1]
	}
	return regexp.MustCompile(`(?m)^var _ ` + regexp.QuoteMeta(alias) + `\.[A-Z][A-Za-z0-9]* = `).MatchString(f.src)
}

// moduleOf names the module a package path of this repository belongs to, or "".
func moduleOf(importPath string, mods []string) string {
	rel := strings.TrimPrefix(importPath, module+"/")
	for _, name := range mods {
		for _, p := range []string{"domain/" + name, "application/" + name} {
			if rel == p || strings.HasPrefix(rel, p+"/") {
				return name
			}
		}
	}
	return ""
}

// sourceFile is one non-test Go file of the repository with the imports it declares.
type sourceFile struct {
	path    string // relative to the repository
	imports []string
	src     string
}

// repositoryFiles parses every non-test Go file under the given directories.
func repositoryFiles(t *testing.T, dirs ...string) []sourceFile {
	t.Helper()
	var files []sourceFile
	fset := gotoken.NewFileSet()
	for _, dir := range dirs {
		err := filepath.WalkDir(filepath.Join("..", dir), func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			src, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			f, err := parser.ParseFile(fset, path, src, parser.ImportsOnly)
			if err != nil {
				return err
			}
			sf := sourceFile{path: filepath.ToSlash(strings.TrimPrefix(path, ".."+string(filepath.Separator))), src: string(src)}
			for _, imp := range f.Imports {
				p, _ := strconv.Unquote(imp.Path.Value)
				sf.imports = append(sf.imports, p)
			}
			files = append(files, sf)
			return nil
		})
		if err != nil {
			t.Fatalf("read %s: %v", dir, err)
		}
	}
	return files
}

// TestModulesAreIsolated enforces the module layout of issue 12: a module's packages import no
// other module's packages except in its seam files; every domain package is a module's or the
// shared kernel's; an adapter file serves at most one module (so that adding a module is adding
// files); and no store of the postgres adapter reads or writes another module's tables.
func TestModulesAreIsolated(t *testing.T) {
	needSources(t)
	mods := foundModules(t)
	owners := tableOwners(t, mods)
	t.Logf("modules: %v", mods)
	for _, f := range repositoryFiles(t, "domain", "application", "adapters") {
		own := moduleOf(module+"/"+filepath.Dir(f.path), mods)
		if dir := filepath.Dir(f.path); strings.HasPrefix(dir, "domain/") && own == "" && !inSharedKernel(dir) {
			t.Errorf("%s is in no module: domain/<name> belongs to the module application/<name>, or to the shared kernel", f.path)
		}
		reached := seamOf(f.path, mods)
		if reached != "" {
			if !implementsOwnersInterface(f, reached) {
				t.Errorf("%s is a seam into module %s but asserts no interface of it (var _ %s.Name = ...): a seam implements what the other module owns", f.path, reached, reached)
			}
			t.Logf("seam: %s (module %s takes part in module %s's changes)", f.path, own, reached)
		}
		var served []string // the modules an adapter file imports
		for _, imp := range f.imports {
			other := moduleOf(imp, mods)
			switch {
			case other == "" || other == own:
			case own != "" && (other != reached || !seamMayImport(imp, reached)):
				t.Errorf("%s imports %s: module %s may reach module %s only in application/%s/%s_seam.go, through application/%s and domain/%s",
					f.path, imp, own, other, own, other, other, other)
			case own == "" && !slices.Contains(served, other):
				served = append(served, other)
			}
		}
		if own == "" && strings.HasPrefix(f.path, "adapters/") && len(served) > 1 && !composesModules(f.path) {
			t.Errorf("%s serves the modules %v: an adapter file serves one module", f.path, served)
		}
		if strings.HasPrefix(f.path, "adapters/postgres/") {
			checkTables(t, f, served, owners)
		}
	}
}

// TestEveryTableHasAnOwner makes every table a migration creates name its module (or the
// platform), so that the table rule of TestModulesAreIsolated covers it: a table nobody owned
// would be open to every store.
func TestEveryTableHasAnOwner(t *testing.T) {
	needSources(t)
	owners := tableOwners(t, foundModules(t))
	t.Logf("table owners: %v", owners)
}

func inSharedKernel(dir string) bool {
	for _, p := range sharedKernel {
		if dir == p || strings.HasPrefix(dir, p+"/") {
			return true
		}
	}
	return false
}

// seamMayImport reports whether a seam into module other may import the package imp.
func seamMayImport(imp, other string) bool {
	return imp == module+"/application/"+other || imp == module+"/domain/"+other
}

// composesModules are the adapter files whose job is to put the modules side by side: the one
// list of routes and the HTTP adapter's dependencies, and the console's routes and pages, which
// show a user's profile beside the user's cards.
func composesModules(path string) bool {
	return path == "adapters/httpapi/routes.go" || path == "adapters/httpapi/server.go" || path == "adapters/console/console.go"
}

// tableRef finds the tables a postgres store's SQL names: in FROM, JOIN, INTO, UPDATE and TABLE
// clauses, in bun's Table("...") and in the table tags of row types.
var tableRef = regexp.MustCompile(`(?i)(?:\bfrom|\bjoin|\binto|\bupdate|\btable)\s+"?([a-z_]+)"?|Table\("([a-z_]+)"\)|bun:"table:([a-z_]+)`)

// rowTypes maps the postgres adapter's row types to their tables, so that a store using another
// module's row type (a bun model) is caught like one naming the table.
func rowTypes(t *testing.T, files []sourceFile) map[string]string {
	t.Helper()
	out := map[string]string{}
	fset := gotoken.NewFileSet()
	tag := regexp.MustCompile(`table:([a-z_]+)`)
	for _, f := range files {
		parsed, err := parser.ParseFile(fset, f.path, f.src, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(parsed, func(n ast.Node) bool {
			ts, ok := n.(*ast.TypeSpec)
			if !ok {
				return true
			}
			st, ok := ts.Type.(*ast.StructType)
			if !ok {
				return true
			}
			for _, field := range st.Fields.List {
				if field.Tag != nil {
					if m := tag.FindStringSubmatch(field.Tag.Value); m != nil {
						out[ts.Name.Name] = m[1]
					}
				}
			}
			return true
		})
	}
	return out
}

var postgresRows map[string]string

// checkTables fails for a postgres file that touches a table of a module other than the one it
// serves; files that serve no module (the database, migrations, the event log) may touch the
// platform's tables only.
func checkTables(t *testing.T, f sourceFile, served []string, owner map[string]string) {
	t.Helper()
	if postgresRows == nil {
		postgresRows = rowTypes(t, repositoryFiles(t, "adapters/postgres"))
	}
	touched := map[string]bool{}
	for _, m := range tableRef.FindAllStringSubmatch(f.src, -1) {
		for _, name := range m[1:] {
			if name != "" {
				touched[name] = true
			}
		}
	}
	for row, table := range postgresRows {
		if regexp.MustCompile(`\b` + row + `\b`).MatchString(f.src) {
			touched[table] = true
		}
	}
	var mods []string // the modules whose tables the file touches
	for table := range touched {
		if mod, known := owner[table]; known && mod != "platform" && !slices.Contains(mods, mod) {
			mods = append(mods, mod)
		}
	}
	slices.Sort(mods)
	switch {
	case len(served) == 0 && len(mods) > 1: // SQL text on its own, as in card_sql.go
		t.Errorf("%s touches the tables of the modules %v: a file keeps to one module's tables", f.path, mods)
	case len(served) == 1 && len(mods) > 0 && !slices.Equal(mods, served):
		t.Errorf("%s serves module %s but touches the tables of %v: a store keeps to its module's tables", f.path, served[0], mods)
	case len(served) > 1 && len(mods) > 0:
		t.Errorf("%s serves %v and touches the tables of %v: a store serves one module", f.path, served, mods)
	}
}

// needSources skips a test that reads the repository's sources when they are not beside the
// tests (a test binary run elsewhere).
func needSources(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(filepath.Join("..", "go.mod")); err != nil {
		t.Skip("reads the repository's sources, which are not beside the tests")
	}
}
