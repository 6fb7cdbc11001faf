package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDirectorySkipsNonCaptures: a folder of captures with a MANIFEST.tsv and a LICENSES/ folder beside them
// converts, queries and lists: the other files are skipped with one warning line each (issue 13 item 7); a
// non-capture named on the command line still fails.
func TestDirectorySkipsNonCaptures(t *testing.T) {
	needSeed(t)
	dir := t.TempDir()
	raw, err := os.ReadFile(seedPcap)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "seed.pcap"), raw, 0o644)
	os.WriteFile(filepath.Join(dir, "MANIFEST.tsv"), []byte("file\tsource\nseed.pcap\tthe notebook\n"), 0o644)
	os.Mkdir(filepath.Join(dir, "LICENSES"), 0o755)
	os.WriteFile(filepath.Join(dir, "LICENSES", "MIT.txt"), []byte("Permission is hereby granted...\n"), 0o644)
	out := filepath.Join(t.TempDir(), "p.csv")
	for _, args := range [][]string{
		{"convert", dir, "-o", out, "-q"},
		{"sql", dir, "-e", "SELECT count(*) AS n FROM packets"},
		{"info", dir},
		{"flows", dir, "-o", filepath.Join(t.TempDir(), "f.csv"), "-q"},
	} {
		stdout, errOut := mustRun(t, 0, args...)
		for _, name := range []string{"MANIFEST.tsv", "MIT.txt"} {
			if !strings.Contains(errOut, "skipped") || !strings.Contains(errOut, name) {
				t.Errorf("%s: stderr %q does not name the skipped %s", args[0], errOut, name)
			}
		}
		if args[0] == "sql" && !strings.Contains(stdout, "3641") {
			t.Errorf("sql over the folder: %q", stdout)
		}
	}
	// Named on the command line, a file that is not a capture still fails.
	if _, _, code := run(t, "", "convert", filepath.Join(dir, "MANIFEST.tsv"), "-o", out, "-q"); code == 0 {
		t.Error("a non-capture named on the command line was converted")
	}
}
