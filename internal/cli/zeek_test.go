package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConvertZeek runs convert --format zeek and zeek-json: the logs of the capture's tables are written into
// the directory (conn.log with one line per flow that `pcapframe flows` lists), and misuses are usage errors.
func TestConvertZeek(t *testing.T) {
	const capture = "../../testdata/pcaps/zeek__tls_tls1.2.pcap"
	flowsOut, stderr, code := runCmd(t, nil, "flows", capture, "--format", "csv")
	if code != 0 {
		t.Fatalf("flows: exit %d: %s", code, stderr)
	}
	nflows := strings.Count(strings.TrimSpace(flowsOut), "\n") // lines after the header
	for _, format := range []string{"zeek", "zeek-json"} {
		t.Run(format, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "logs")
			if _, stderr, code := runCmd(t, nil, "convert", capture, "--format", format, "-o", dir, "-q"); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			ents, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, e := range ents {
				names = append(names, e.Name())
			}
			if strings.Join(names, ",") != "conn.log,ssl.log" {
				t.Errorf("files %q, want conn.log and ssl.log", names)
			}
			b, err := os.ReadFile(filepath.Join(dir, "conn.log"))
			if err != nil {
				t.Fatal(err)
			}
			lines := 0
			for _, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
				if !strings.HasPrefix(l, "#") {
					lines++
				}
			}
			if lines != nflows || nflows == 0 {
				t.Errorf("conn.log has %d lines, flows lists %d", lines, nflows)
			}
		})
	}
	file := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(file, nil, 0o666); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"convert", capture, "--format", "zeek", "-o", "-"},
		{"convert", capture, "--format", "zeek", "-o", file},
		{"convert", capture, "--format", "zeek-json", "--tables", "flows", "-o", t.TempDir()},
		{"convert", capture, "--format", "zeek", "--columns", "ts", "-o", t.TempDir()},
	} {
		if _, stderr, code := runCmd(t, nil, args...); code != 2 {
			t.Errorf("%q: exit %d, want 2 (usage): %s", args, code, stderr)
		}
	}
}
