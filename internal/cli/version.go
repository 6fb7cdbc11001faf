package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/duckdb/duckdb-go/v2/mapping"
	"github.com/spf13/cobra"
)

// modulePath is pcapframe's Go module.
const modulePath = "github.com/pcapframe/pcapframe"

// setVersion gives the root command its --version flag, which prints versionText.
func setVersion(root *cobra.Command) {
	bi, _ := debug.ReadBuildInfo()
	root.Version = versionText(bi, mapping.LibraryVersion())
	root.SetVersionTemplate("{{.Version}}\n")
}

// versionText describes the build: pcapframe's module version and the commit it was built from (from the
// build information the go command records: vcs.revision, vcs.time, vcs.modified), the DuckDB library linked
// in and the duckdb-go bindings' module version, and the Go toolchain. bi may be nil (no build information).
func versionText(bi *debug.BuildInfo, duckdb string) string {
	version, commit, when, dirty := "(unknown)", "", "", false
	bindings := ""
	goVersion := runtime.Version()
	if bi != nil {
		if bi.GoVersion != "" {
			goVersion = bi.GoVersion
		}
		if bi.Main.Path == modulePath && bi.Main.Version != "" {
			version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		for _, d := range bi.Deps {
			if d.Path == "github.com/duckdb/duckdb-go/v2" {
				bindings = d.Version
				if d.Replace != nil {
					bindings = d.Replace.Version + " (replaced)"
				}
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "pcapframe %s", version)
	switch {
	case commit != "":
		fmt.Fprintf(&b, " (commit %s", commit)
		if when != "" {
			fmt.Fprintf(&b, ", %s", when)
		}
		if dirty {
			b.WriteString(", with uncommitted changes")
		}
		b.WriteString(")")
	default:
		b.WriteString(" (commit unknown: built without VCS information, as go build -buildvcs=false or outside a git checkout)")
	}
	fmt.Fprintf(&b, "\nDuckDB %s", duckdb)
	if bindings != "" {
		fmt.Fprintf(&b, " (duckdb-go %s)", bindings)
	}
	fmt.Fprintf(&b, "\n%s %s/%s", goVersion, runtime.GOOS, runtime.GOARCH)
	return b.String()
}
