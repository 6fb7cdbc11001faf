package cli

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

const seed = "../../testdata/pcaps/seed__find_the_image.pcap"

// seedFrames is the number of frames in the notebook's capture: tshark and capinfos count 3641, and so does the
// notebook's DataFrame.
const seedFrames = 3641

// runCmd runs the command line with args and returns standard output, standard error and the exit status.
func runCmd(t *testing.T, stdin []byte, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	io := &IO{In: bytes.NewReader(stdin), Out: &out, ErrOut: &errOut}
	root := NewRoot(io)
	root.SetArgs(args)
	code := report(&errOut, root.ExecuteContext(context.Background()))
	return out.String(), errOut.String(), code
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s is not valid CSV: %v", path, err)
	}
	return rows
}

func TestConvertFormats(t *testing.T) {
	dir := t.TempDir()
	t.Run("csv", func(t *testing.T) {
		out := filepath.Join(dir, "p.csv")
		if _, stderr, code := runCmd(t, nil, "convert", seed, "-o", out); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		rows := readCSV(t, out)
		if len(rows) != seedFrames+1 {
			t.Fatalf("%d rows, want header + %d", len(rows), seedFrames)
		}
		header := strings.Join(rows[0], ",")
		for _, col := range []string{"version", "ihl", "tos", "len", "id", "frag", "ttl", "proto", "src", "dst", "time", "sport", "dport", "seq", "ack", "dataofs", "reserved", "window", "urgptr", "payload", "payload_raw", "ip_flags", "ip_chksum", "ip_options", "tcp_flags", "tcp_chksum", "tcp_options"} {
			if !strings.Contains(","+header+",", ","+col+",") {
				t.Errorf("the notebook's column %q is missing from the default selection", col)
			}
		}
	})
	t.Run("parquet", func(t *testing.T) {
		out := filepath.Join(dir, "p.parquet")
		if _, stderr, code := runCmd(t, nil, "convert", seed, "-o", out); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		f, err := os.Open(out)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		st, _ := f.Stat()
		pf, err := parquet.OpenFile(f, st.Size())
		if err != nil {
			t.Fatalf("not a Parquet file: %v", err)
		}
		if pf.NumRows() != seedFrames {
			t.Errorf("%d rows, want %d", pf.NumRows(), seedFrames)
		}
		schema := pf.Schema()
		for _, tc := range []struct{ name, kind, logical string }{
			{"time", "INT64", "TIMESTAMP(isAdjustedToUTC=false,unit=NANOS)"},
			{"sport", "INT32", ""},
			{"seq", "INT64", ""},
			{"src", "BYTE_ARRAY", "STRING"},
			{"payload_raw", "BYTE_ARRAY", "<none>"},
		} {
			col, ok := schema.Lookup(tc.name)
			if !ok {
				t.Errorf("column %s missing", tc.name)
				continue
			}
			typ := col.Node.Type()
			if kind := typ.Kind().String(); kind != tc.kind {
				t.Errorf("column %s is %s, want %s", tc.name, kind, tc.kind)
			}
			lt := "<none>"
			if typ.LogicalType() != nil {
				lt = typ.LogicalType().String()
			}
			if tc.logical != "" && lt != tc.logical {
				t.Errorf("column %s has logical type %s, want %s", tc.name, lt, tc.logical)
			}
		}
	})
	t.Run("jsonl to stdout, selected columns", func(t *testing.T) {
		stdout, stderr, code := runCmd(t, nil, "convert", seed, "-o", "-", "--format", "jsonl", "--columns", "frame,src,dport,tcp_flags")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		lines := strings.Split(strings.TrimSpace(stdout), "\n")
		if len(lines) != seedFrames {
			t.Fatalf("%d lines, want %d", len(lines), seedFrames)
		}
		var first map[string]any
		if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
			t.Fatal(err)
		}
		// tshark: frame 1 is 192.168.1.6:65198 -> 192.168.1.100:5050, SYN.
		if len(first) != 4 || first["frame"] != 1.0 || first["src"] != "192.168.1.6" || first["dport"] != 5050.0 || first["tcp_flags"] != "S" {
			t.Errorf("first row %v", first)
		}
		if !strings.HasPrefix(lines[0], `{"frame":1,"src":`) {
			t.Errorf("columns not in the requested order: %s", lines[0])
		}
	})
	t.Run("gzip on standard input", func(t *testing.T) {
		raw, err := os.ReadFile(seed)
		if err != nil {
			t.Fatal(err)
		}
		var gz bytes.Buffer
		w := gzip.NewWriter(&gz)
		w.Write(raw)
		w.Close()
		stdout, stderr, code := runCmd(t, gz.Bytes(), "convert", "-", "-o", "-", "--format", "csv", "--columns", "source,frame")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if n := strings.Count(stdout, "\n"); n != seedFrames+1 {
			t.Errorf("%d lines, want %d", n, seedFrames+1)
		}
		if !strings.Contains(stdout, "\n-,1\n") {
			t.Errorf("rows from standard input should name their source -: %.100s", stdout)
		}
	})
	t.Run("directory and file, each row names its source", func(t *testing.T) {
		in := t.TempDir()
		for _, name := range []string{"a.pcap", "b.pcapng"} {
			src := map[string]string{"a.pcap": "tcpdump__LINKTYPE_IPV4.pcap", "b.pcapng": "chrissanders__tcp_dupack.pcapng"}[name]
			data, err := os.ReadFile("../../testdata/pcaps/" + src)
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(in, name), data, 0o644)
		}
		out := filepath.Join(dir, "multi.csv")
		if _, stderr, code := runCmd(t, nil, "convert", in, seed, "-o", out, "--columns", "source,frame"); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		count := map[string]int{}
		for _, r := range readCSV(t, out)[1:] {
			count[filepath.Base(r[0])]++
		}
		// capinfos: 1 packet in LINKTYPE_IPV4.pcap, 9 in tcp_dupack.pcapng.
		want := map[string]int{"a.pcap": 1, "b.pcapng": 9, "seed__find_the_image.pcap": seedFrames}
		for k, v := range want {
			if count[k] != v {
				t.Errorf("%s: %d rows, want %d (all: %v)", k, count[k], v, count)
			}
		}
	})
}

func TestConvertBadInput(t *testing.T) {
	dir := t.TempDir()
	raw, err := os.ReadFile(seed)
	if err != nil {
		t.Fatal(err)
	}
	notCapture := filepath.Join(dir, "notes.txt")
	os.WriteFile(notCapture, []byte("hello, this is not a capture file\n"), 0o644)
	// Cut the capture in the middle of a record: the 24-byte file header and the first records stay whole.
	truncated := filepath.Join(dir, "cut.pcap")
	os.WriteFile(truncated, raw[:len(raw)/2], 0o644)

	tests := []struct {
		name     string
		args     []string
		code     int
		msg      []string // all must appear in the one-line message
		output   string   // "" if no output file should exist
		wantRows int      // data rows in the output when it exists
	}{
		{"missing file", []string{"convert", filepath.Join(dir, "nope.pcap"), "-o", filepath.Join(dir, "o1.csv")}, ExitError, []string{"nope.pcap"}, "", 0},
		{"not a capture", []string{"convert", notCapture, "-o", filepath.Join(dir, "o2.csv")}, ExitError, []string{"notes.txt", "not a capture", "offset 0"}, "", 0},
		{"truncated", []string{"convert", truncated, "-o", filepath.Join(dir, "o3.csv")}, ExitDamaged, []string{"cut.pcap", "offset", "truncated", "read before it"}, filepath.Join(dir, "o3.csv"), -1},
		{"output is input", []string{"convert", truncated, "-o", truncated}, ExitUsage, []string{"also an input"}, "", 0},
		{"unknown column", []string{"convert", seed, "-o", filepath.Join(dir, "o4.csv"), "--columns", "src,bogus"}, ExitUsage, []string{"bogus"}, "", 0},
		{"unknown extension", []string{"convert", seed, "-o", filepath.Join(dir, "o5.xlsx")}, ExitUsage, []string{"xlsx"}, "", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := runCmd(t, nil, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tc.code, stderr)
			}
			first := strings.SplitN(stderr, "\n", 2)[0]
			for _, m := range tc.msg {
				if !strings.Contains(first, m) {
					t.Errorf("message %q lacks %q", first, m)
				}
			}
			if strings.Contains(stderr, "goroutine") || strings.Contains(stderr, "panic") {
				t.Errorf("stack trace in %q", stderr)
			}
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if strings.Contains(e.Name(), ".tmp") {
					t.Errorf("temporary file %s left behind", e.Name())
				}
			}
			if tc.output == "" {
				for _, a := range tc.args {
					if strings.HasPrefix(filepath.Base(a), "o") && strings.Contains(a, dir) {
						if _, err := os.Stat(a); err == nil {
							t.Errorf("output %s exists after a failed run", a)
						}
					}
				}
				return
			}
			rows := readCSV(t, tc.output)
			if len(rows) < 2 {
				t.Fatalf("damaged input: the rows before the damage should be written, got %d lines", len(rows))
			}
			if !strings.Contains(first, " "+strconv.Itoa(len(rows)-1)+" frames read before it") {
				t.Errorf("message %q does not say the %d rows written", first, len(rows)-1)
			}
		})
	}
}

// TestConvertTimeFormat: CSV times are ISO 8601 by default (what pd.read_csv parse_dates reads), epoch seconds
// or nanoseconds on request; checked against the first frame's time that capinfos-independent arithmetic gives
// (the seed capture's first frame is at 1392634068.214350 s, as tshark's frame.time_epoch shows).
func TestConvertTimeFormat(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct{ format, want string }{
		{"", "2014-02-17T10:47:48.214350000Z"},
		{"iso", "2014-02-17T10:47:48.214350000Z"},
		{"epoch", "1392634068.214350000"},
		{"ns", "1392634068214350000"},
	} {
		out := filepath.Join(dir, "t"+tt.format+".csv")
		args := []string{"convert", "../../testdata/pcaps/seed__find_the_image.pcap", "-q", "-o", out, "--columns", "frame,time"}
		if tt.format != "" {
			args = append(args, "--time-format", tt.format)
		}
		if _, errOut, code := runCmd(t, nil, args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		rows := readCSV(t, out)
		if len(rows) < 2 || rows[1][1] != tt.want {
			t.Errorf("--time-format %q: first time %v, want %q", tt.format, rows[1], tt.want)
		}
	}
	if _, _, code := runCmd(t, nil, "convert", "../../testdata/pcaps/seed__find_the_image.pcap", "-o", filepath.Join(dir, "x.csv"), "--time-format", "local"); code != 2 {
		t.Errorf("unknown --time-format: exit %d, want 2", code)
	}
}
