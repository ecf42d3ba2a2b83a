package tests

import (
	"go/ast"
	"go/parser"
	gotoken "go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The modules of otpcard, each a bounded context with its domain and application packages, and
// the tables its stores own. Everything else is the shared kernel (domain/access, domain/event,
// domain/extid, domain/fault, application/caller, application/listing) or the platform
// (application/outbox, the event log), which every module may use.
var modules = map[string]struct {
	packages []string
	tables   []string
}{
	"directory":  {[]string{"domain/directory", "application/directory"}, []string{"clients", "users"}},
	"credential": {[]string{"domain/credential", "application/credential"}, []string{"policies", "otp_cards", "holders"}},
	"audit":      {[]string{"application/audit"}, []string{"audit_events"}},
}

// platformTables belong to no module: every module records its events in the outbox.
var platformTables = []string{"events", "event_cursors", "schema_migrations"}

// seam is a file of one module allowed to import another module's packages: the named seams
// between modules. Adding a module must not need a new one unless it takes part in another
// module's transactions (see README, "Layout").
type seam struct {
	name, file string
	imports    []string
}

var seams = []seam{{
	name:    "directory.Dependents (the credential module's part in the directory's changes)",
	file:    "application/credential/directory_seam.go",
	imports: []string{module + "/application/directory", module + "/domain/directory"},
}}

// moduleOf names the module a package path of this repository belongs to, or "".
func moduleOf(importPath string) string {
	rel := strings.TrimPrefix(importPath, module+"/")
	for name, m := range modules {
		for _, p := range m.packages {
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
// other module's packages, except in the named seams; an adapter file serves at most one module
// (so that adding a module is adding files); and no store of the postgres adapter reads or writes
// another module's tables.
func TestModulesAreIsolated(t *testing.T) {
	needSources(t)
	for _, f := range repositoryFiles(t, "domain", "application", "adapters") {
		own := moduleOf(module + "/" + filepath.Dir(f.path))
		var served []string // the modules an adapter file imports
		for _, imp := range f.imports {
			other := moduleOf(imp)
			switch {
			case other == "" || other == own:
			case own != "" && !allowedBySeam(f.path, imp):
				t.Errorf("%s imports %s: module %s may reach module %s only through a named seam", f.path, imp, own, other)
			case own == "" && !slices.Contains(served, other):
				served = append(served, other)
			}
		}
		if own == "" && strings.HasPrefix(f.path, "adapters/") && len(served) > 1 && !composesModules(f.path) {
			t.Errorf("%s serves the modules %v: an adapter file serves one module", f.path, served)
		}
		if strings.HasPrefix(f.path, "adapters/postgres/") {
			checkTables(t, f, served)
		}
	}
}

// composesModules are the adapter files whose job is to put the modules side by side: the one
// list of routes and the HTTP adapter's dependencies.
func composesModules(path string) bool {
	return path == "adapters/httpapi/routes.go" || path == "adapters/httpapi/server.go"
}

func allowedBySeam(file, imp string) bool {
	for _, s := range seams {
		if s.file == file && slices.Contains(s.imports, imp) {
			return true
		}
	}
	return false
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
func checkTables(t *testing.T, f sourceFile, served []string) {
	t.Helper()
	if postgresRows == nil {
		postgresRows = rowTypes(t, repositoryFiles(t, "adapters/postgres"))
	}
	owner := map[string]string{}
	for name, m := range modules {
		for _, table := range m.tables {
			owner[table] = name
		}
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
		if mod, known := owner[table]; known && !slices.Contains(mods, mod) {
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

// TestEveryTableHasAnOwner makes a new table name its module (or the platform), so that the
// table rule of TestModulesAreIsolated covers it: a table nobody owns would be open to every store.
func TestEveryTableHasAnOwner(t *testing.T) {
	needSources(t)
	owned := slices.Clone(platformTables)
	for _, m := range modules {
		owned = append(owned, m.tables...)
	}
	dir := filepath.Join("..", "adapters", "postgres", "migrations")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("read migrations: %v", err)
	}
	create := regexp.MustCompile(`(?i)\bcreate\s+(?:unlogged\s+)?table\s+(?:if\s+not\s+exists\s+)?"?([a-z_][a-z0-9_]*)`)
	found := 0
	for _, e := range entries {
		src, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatalf("read %s: %v", e.Name(), err)
		}
		for _, m := range create.FindAllStringSubmatch(string(src), -1) {
			found++
			if !slices.Contains(owned, m[1]) {
				t.Errorf("%s creates table %s, which no module owns: add it to a module's tables (or the platform's) in tests/modules_test.go", e.Name(), m[1])
			}
		}
	}
	if found < len(owned)-1 { // schema_migrations is created by the migrator, not a migration
		t.Fatalf("found %d CREATE TABLE statements for %d owned tables: the pattern no longer reads the migrations", found, len(owned))
	}
}
