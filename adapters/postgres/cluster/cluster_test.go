package cluster

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// testCtx returns a context that ends with the test or after two minutes.
func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// reachableTempDir returns a new directory under os.TempDir() the postgres user can traverse
// (t.TempDir's parent is 0700, which sends the cluster to the /var/tmp fallback when root).
func reachableTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "otpcard-cluster-test-*")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

// mustStart starts a cluster and makes sure it is stopped when the test ends.
func mustStart(t *testing.T, cfg Config) *Cluster {
	t.Helper()
	c, err := Start(testCtx(t), cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = c.Stop(context.Background()) })
	return c
}

// openDB opens a database/sql handle closed when the test ends.
func openDB(t *testing.T, url string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// selectOne checks that SELECT 1 works on url.
func selectOne(t *testing.T, url string) {
	t.Helper()
	var one int
	if err := openDB(t, url).QueryRowContext(testCtx(t), "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("SELECT 1 on %s: %d, %v", url, one, err)
	}
}

// assertKept fails unless c runs on port and still holds the row the lifecycle test stores;
// after says after what.
func assertKept(t *testing.T, c *Cluster, port int, after string) {
	t.Helper()
	if c.Port() != port {
		t.Fatalf("port after %s %d, want %d", after, c.Port(), port)
	}
	var v int
	if err := openDB(t, c.URL("postgres")).QueryRowContext(testCtx(t), "SELECT v FROM persisted").Scan(&v); err != nil {
		t.Fatalf("read persisted row after %s: %v", after, err)
	}
	if v != 42 {
		t.Fatalf("value after %s %d, want 42", after, v)
	}
}

// twice runs op twice and fails unless both succeed: the operations of a Cluster may be repeated.
func twice(t *testing.T, name string, op func(context.Context) error) {
	t.Helper()
	if err := op(testCtx(t)); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if err := op(testCtx(t)); err != nil {
		t.Fatalf("second %s: %v", name, err)
	}
}

// assertOwnProcessGroup checks that the postmaster does not share our process group, so a
// terminal's Ctrl-C reaches only us and we stop the server cleanly.
func assertOwnProcessGroup(t *testing.T, c *Cluster) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(c.srv.layout.pgData(), "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.SplitN(string(b), "\n", 2)[0])
	if err != nil {
		t.Fatal(err)
	}
	pgid, err := syscall.Getpgid(pid)
	if err != nil {
		t.Fatal(err)
	}
	if pgid == syscall.Getpgrp() {
		t.Fatalf("postmaster %d is in our process group %d", pid, pgid)
	}
}

func TestFindBinDirBogusOverride(t *testing.T) {
	_, err := FindBinDir("/nonexistent/otpcard/bogus")
	if !errors.Is(err, ErrNoBinaries) {
		t.Fatalf("err = %v, want ErrNoBinaries", err)
	}
	msg := err.Error()
	if strings.Contains(msg, "\n") || !strings.Contains(msg, ErrNoBinaries.Error()) ||
		!strings.Contains(msg, "apt-get install -y postgresql") || !strings.Contains(msg, "/nonexistent/otpcard/bogus") {
		t.Fatalf("error is not the one clear line: %q", msg)
	}
}

func TestFindBinDirFindsInstalledBinaries(t *testing.T) {
	dir, err := FindBinDir("")
	if err != nil {
		t.Fatal(err)
	}
	if !hasBinaries(dir) {
		t.Fatalf("%s lacks initdb, pg_ctl or postgres", dir)
	}
	again, err := FindBinDir(dir)
	if err != nil || again != dir {
		t.Fatalf("FindBinDir(%q) = %q, %v", dir, again, err)
	}
}

func TestVersionOrder(t *testing.T) {
	dirs := []string{"/usr/lib/postgresql/9.6/bin", "/usr/lib/postgresql/10/bin", "/usr/lib/postgresql/15/bin"}
	for i := 1; i < len(dirs); i++ {
		if !versionLess(versionOf(dirs[i-1]), versionOf(dirs[i])) {
			t.Errorf("%s should sort before %s", dirs[i-1], dirs[i])
		}
	}
}

func TestCanTraverseFollowsModeBits(t *testing.T) {
	base := t.TempDir()
	closed := filepath.Join(base, "closed")
	open := filepath.Join(base, "open")
	for dir, mode := range map[string]os.FileMode{closed: 0o700, open: 0o711} {
		if err := os.Mkdir(dir, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, mode); err != nil {
			t.Fatal(err)
		}
	}
	// A stranger: neither owner nor in the group of these directories, so the "other" bits apply.
	stranger := osUser{switchTo: true, uid: 4242424, gid: 4242424}
	for dir, want := range map[string]bool{closed: false, open: true} {
		fi, err := os.Stat(dir)
		if err != nil {
			t.Fatal(err)
		}
		if got := stranger.mayExecute(fi); got != want {
			t.Errorf("mayExecute(%s) = %v, want %v", dir, got, want)
		}
	}
	if ok, err := stranger.canTraverse(filepath.Join(closed, "x", "y")); err != nil || ok {
		t.Errorf("canTraverse below a 0700 directory = %v, %v; want false", ok, err)
	}
	if ok, err := stranger.canTraverse("/var/tmp/does-not-exist/yet"); err != nil || !ok {
		t.Errorf("canTraverse of a path to be created under /var/tmp = %v, %v; want true", ok, err)
	}
}

func TestClusterLifecycle(t *testing.T) {
	dataDir := filepath.Join(reachableTempDir(t), "postgres")

	// First start: initdb, connect, store a row.
	c1 := mustStart(t, Config{DataDir: dataDir})
	if c1.Port() <= 0 || !c1.owned {
		t.Fatalf("port %d owned %v", c1.Port(), c1.owned)
	}
	if c1.srv.layout.home != dataDir {
		t.Fatalf("cluster lives in %s, want %s (reachable)", c1.srv.layout.home, dataDir)
	}
	wantPrefix := "postgres://otpcard:" + c1.password + "@127.0.0.1:"
	if url := c1.URL("postgres"); !strings.HasPrefix(url, wantPrefix) || !strings.HasSuffix(url, "/postgres?sslmode=disable") {
		t.Fatalf("URL = %s", url)
	}
	fi, err := os.Stat(c1.srv.layout.passwordFile())
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("password file: %v, %v", fi, err)
	}
	assertOwnProcessGroup(t, c1)
	twice(t, "CreateDatabase", func(ctx context.Context) error { return c1.CreateDatabase(ctx, "app") })
	selectOne(t, c1.URL("app"))
	db := openDB(t, c1.URL("postgres"))
	if _, err := db.ExecContext(testCtx(t), "CREATE TABLE persisted (v int); INSERT INTO persisted VALUES (42)"); err != nil {
		t.Fatal(err)
	}
	_ = db.Close()

	// A second Start while the first runs adopts the server without owning it.
	c2 := mustStart(t, Config{DataDir: dataDir})
	if c2.owned || c2.Port() != c1.Port() {
		t.Fatalf("adopted cluster: owned %v port %d, want false %d", c2.owned, c2.Port(), c1.Port())
	}
	if err := c2.Halt(testCtx(t)); !errors.Is(err, ErrNotOwned) {
		t.Fatalf("Halt on adopted cluster = %v, want ErrNotOwned", err)
	}
	if err := c2.Stop(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	selectOne(t, c1.URL("postgres"))

	port := c1.Port()
	twice(t, "Stop", c1.Stop)
	if _, err := os.Stat(c1.srv.layout.pgData()); err != nil {
		t.Fatalf("non-ephemeral Stop removed the data: %v", err)
	}

	// Restart on the same directory: data persisted, remembered port preferred.
	began := time.Now()
	c3 := mustStart(t, Config{DataDir: dataDir, Ephemeral: true})
	t.Logf("restart on existing data directory took %s", time.Since(began))
	assertKept(t, c3, port, "a restart")

	// Halt and Resume keep the port.
	twice(t, "Halt", c3.Halt)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	if err := openDB(t, c3.URL("postgres")).PingContext(ctx); err == nil {
		t.Fatal("halted server still accepts connections")
	}
	cancel()
	if err := c3.Resume(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	assertKept(t, c3, port, "Resume")

	// Stop of an ephemeral cluster removes its directory.
	if err := c3.Stop(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dataDir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("ephemeral Stop left %s: %v", dataDir, err)
	}
	if err := c3.Resume(testCtx(t)); !errors.Is(err, ErrStopped) {
		t.Fatalf("Resume after Stop = %v, want ErrStopped", err)
	}
}

func TestFallbackWhenPostgresUserCannotReachDataDir(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the fallback directory is used only when running as root")
	}
	parent := t.TempDir() // its parent directory is 0700: not traversable by postgres
	before, err := os.Stat(filepath.Dir(parent))
	if err != nil {
		t.Fatal(err)
	}
	dataDir := filepath.Join(parent, "postgres")
	c := mustStart(t, Config{DataDir: dataDir, Ephemeral: true})
	home := c.srv.layout.home
	if !strings.HasPrefix(home, fallbackPrefix) || home != fallbackDir(dataDir) {
		t.Fatalf("cluster lives in %s, want %s", home, fallbackDir(dataDir))
	}
	selectOne(t, c.URL("postgres"))
	after, err := os.Stat(filepath.Dir(parent))
	if err != nil || after.Mode() != before.Mode() {
		t.Fatalf("parent mode changed from %v to %v (%v)", before.Mode(), after.Mode(), err)
	}
	fi, err := os.Stat(c.srv.layout.passwordFile())
	if err != nil || fi.Mode().Perm() != 0o600 || filepath.Dir(c.srv.layout.passwordFile()) != dataDir {
		t.Fatalf("password file must stay in %s with mode 0600: %v, %v", dataDir, fi, err)
	}
	if err := c.Stop(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(home); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("ephemeral Stop left %s: %v", home, err)
	}
}
