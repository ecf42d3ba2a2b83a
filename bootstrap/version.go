package bootstrap

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// printVersion writes otpcard's version, the Go version and the VCS revision, when the build
// recorded one (go build does in a git checkout, unless -buildvcs=false).
func printVersion(w io.Writer) {
	fmt.Fprintf(w, "otpcard %s\n", version)
	goVersion := runtime.Version()
	revision := "unknown (built without version control information)"
	if info, ok := debug.ReadBuildInfo(); ok {
		goVersion = info.GoVersion
		var rev, at string
		var modified bool
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				at = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if rev != "" {
			revision = rev
			if at != "" {
				revision += " (" + at + ")"
			}
			if modified {
				revision += " with uncommitted changes"
			}
		}
	}
	fmt.Fprintf(w, "go: %s %s/%s\n", goVersion, runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(w, "revision: %s\n", revision)
}
