package cli

import (
	"context"
	"database/sql"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"
)

func TestVersionText(t *testing.T) {
	deps := []*debug.Module{{Path: "github.com/spf13/cobra", Version: "v1.10.2"}, {Path: "github.com/duckdb/duckdb-go/v2", Version: "v2.20000.0"}}
	platform := runtime.GOOS + "/" + runtime.GOARCH
	tests := []struct {
		name string
		bi   *debug.BuildInfo
		want string
	}{
		{"release", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: modulePath, Version: "v1.2.3"}, Deps: deps,
			Settings: []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
				{Key: "vcs.time", Value: "2026-12-05T22:00:00Z"}, {Key: "vcs.modified", Value: "false"}}},
			"pcapframe v1.2.3 (commit 0123456789abcdef0123456789abcdef01234567, 2026-12-05T22:00:00Z)\nDuckDB v2.0.0 (duckdb-go v2.20000.0)\ngo1.26.8 " + platform},
		{"work tree with changes", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: modulePath, Version: "v0.0.0-20261205220000-0123456789ab+dirty"}, Deps: deps,
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef"}, {Key: "vcs.modified", Value: "true"}}},
			"pcapframe v0.0.0-20261205220000-0123456789ab+dirty (commit 0123456789abcdef, with uncommitted changes)\nDuckDB v2.0.0 (duckdb-go v2.20000.0)\ngo1.26.8 " + platform},
		{"no vcs", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: modulePath, Version: "(devel)"}},
			"pcapframe (devel) (commit unknown: built without VCS information, as go build -buildvcs=false or outside a git checkout)\nDuckDB v2.0.0\ngo1.26.8 " + platform},
		{"no build information", nil,
			"pcapframe (unknown) (commit unknown: built without VCS information, as go build -buildvcs=false or outside a git checkout)\nDuckDB v2.0.0\n" + runtime.Version() + " " + platform},
		{"another main module", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "example.com/tool", Version: "v9.9.9"}},
			"pcapframe (unknown) (commit unknown: built without VCS information, as go build -buildvcs=false or outside a git checkout)\nDuckDB v2.0.0\ngo1.26.8 " + platform},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := versionText(tt.bi, "v2.0.0"); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

// TestVersionFlag runs `pcapframe --version`: it names the DuckDB library that a database of it reports with
// SELECT version() (an independent source) and exits 0.
func TestVersionFlag(t *testing.T) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var duckdb string
	if err := db.QueryRowContext(context.Background(), "SELECT version()").Scan(&duckdb); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"--version"}, {"-v"}} {
		out, errOut, code := run(t, "", args...)
		if code != ExitOK || errOut != "" {
			t.Fatalf("%v: exit %d, stderr %q", args, code, errOut)
		}
		if !strings.HasPrefix(out, "pcapframe ") || !strings.Contains(out, "\nDuckDB "+duckdb+" ") && !strings.Contains(out, "\nDuckDB "+duckdb+"\n") {
			t.Errorf("%v: %q does not name DuckDB %s", args, out, duckdb)
		}
	}
}
