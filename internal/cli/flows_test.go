package cli

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pcapframe/pcapframe/flow"
)

const flowsSeed = "../../testdata/pcaps/seed__find_the_image.pcap"

func TestFlowsCommand(t *testing.T) {
	t.Run("csv when piped", func(t *testing.T) {
		out, errOut, code := run(t, "", "flows", flowsSeed)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(rows[0], ","); got != strings.Join(flow.Table.Names(), ",") {
			t.Errorf("header %s", got)
		}
		if len(rows) != 7 { // tshark -z conv,tcp lists 6 conversations
			t.Fatalf("%d rows", len(rows)-1)
		}
		// The 7070 transfer: 122 frames from the client, 62 back (tshark -z conv,tcp).
		found := false
		for _, r := range rows[1:] {
			if r[5] == "7070" {
				found = r[14] == "122" && r[16] == "62" && r[19] == "5"
			}
		}
		if !found {
			t.Errorf("7070 conversation wrong or missing:\n%s", out)
		}
	})
	t.Run("table", func(t *testing.T) {
		out, _, code := run(t, "", "flows", flowsSeed, "--format", "table")
		if code != 0 || !strings.HasPrefix(out, "ts ") || strings.Count(out, "\n") != 7 || !strings.Contains(out, "REJ") {
			t.Errorf("exit %d:\n%s", code, out)
		}
	})
	t.Run("parquet file and convert --table", func(t *testing.T) {
		dir := t.TempDir()
		if _, errOut, code := run(t, "", "flows", flowsSeed, "-o", filepath.Join(dir, "f.parquet")); code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		if fi, err := os.Stat(filepath.Join(dir, "f.parquet")); err != nil || fi.Size() < 100 {
			t.Fatalf("parquet: %v", err)
		}
		if _, errOut, code := run(t, "", "convert", flowsSeed, "--table", "flows", "-o", filepath.Join(dir, "f.jsonl")); code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		b, _ := os.ReadFile(filepath.Join(dir, "f.jsonl"))
		if strings.Count(string(b), "\n") != 6 || !strings.Contains(string(b), `"community_id":"1:`) {
			t.Errorf("jsonl:\n%s", b)
		}
	})
	t.Run("usage errors", func(t *testing.T) {
		for _, args := range [][]string{{"flows"}, {"flows", flowsSeed, "--format", "xml"}, {"flows", flowsSeed, "--format", "table", "-o", "x.csv"}, {"flows", flowsSeed, "--columns", "nosuch"}} {
			if _, _, code := run(t, "", args...); code != ExitUsage {
				t.Errorf("%v: exit %d", args, code)
			}
		}
		if _, _, code := run(t, "", "flows", "/nonexistent.pcap"); code != ExitError {
			t.Errorf("missing input: exit %d", code)
		}
	})
}

func TestEndpointsCommand(t *testing.T) {
	out, errOut, code := run(t, "", "endpoints", flowsSeed)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	// tshark -q -z endpoints,ip: 192.168.1.6 3641 packets, 2627391 bytes, tx 1555/357549, rx 2086/2269842.
	if !strings.Contains(out, "\n192.168.1.6,3641,2627391,1555,357549,2086,2269842,4,6,") {
		t.Errorf("output:\n%s", out)
	}
}
