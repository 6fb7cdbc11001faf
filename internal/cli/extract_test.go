package cli

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/pcapframe/pcapframe/analyzer/files"
)

// fileSums returns the SHA-256 of every regular file of dir but index.csv, by name.
func fileSums(t *testing.T, dir string) map[string]string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range ents {
		if e.Name() == "index.csv" || !e.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		s := sha256.Sum256(b)
		out[e.Name()] = hex.EncodeToString(s[:])
	}
	return out
}

// TestExtractMatchesTshark checks that extract writes the HTTP objects tshark's --export-objects http writes,
// byte for byte (compared as multisets of SHA-256: the names differ), that every object extract writes and
// tshark does not is one index.csv marks incomplete, and that index.csv's sha256 is the hash of the file
// written.
func TestExtractMatchesTshark(t *testing.T) {
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Fatalf("tshark is missing (apt-get install -y tshark): %v", err)
	}
	for _, name := range []string{"zeek__http_get.pcap", "zeek__http_http-post-large.pcap", "zeek__http_pipelined-requests.pcap",
		"scapy__http_chunk.pcap.gz", "chrissanders__http_espn.pcapng", "zeek__http_iso-download.pcap.gz"} {
		t.Run(name, func(t *testing.T) {
			src := filepath.Join("../../testdata/pcaps", name)
			ours, theirs := filepath.Join(t.TempDir(), "out"), t.TempDir()
			if _, errOut, code := runCmd(t, nil, "extract", src, "-o", ours, "-q"); code != 0 {
				t.Fatalf("extract: exit %d: %s", code, errOut)
			}
			if out, err := exec.Command("tshark", "-r", src, "-q", "--export-objects", "http,"+theirs).CombinedOutput(); err != nil {
				t.Fatalf("tshark: %v: %s", err, out)
			}
			got, want := fileSums(t, ours), fileSums(t, theirs)
			if len(want) == 0 {
				t.Fatal("tshark exports nothing")
			}
			index := readCSV(t, filepath.Join(ours, "index.csv"))
			if len(index) != len(got)+1 || strings.Join(index[0], ",") != "fuid,uid,source,direction,filename,written,bytes,sha256,mime_type,complete,cut,note" {
				t.Fatalf("index.csv: %d rows for %d files; header %q", len(index), len(got), index[0])
			}
			count := map[string]int{}
			for _, s := range want {
				count[s]++
			}
			for _, row := range index[1:] {
				written, sum, complete := row[5], row[7], row[9]
				if got[written] != sum {
					t.Errorf("%s: index sha256 %s, file's %s", written, sum, got[written])
				}
				if complete == "true" {
					count[sum]--
				} else if row[11] == "" {
					t.Errorf("%s: incomplete without a note", written)
				}
			}
			for s, n := range count {
				if n != 0 {
					t.Errorf("sha256 %s: tshark writes %d more than extract's complete files", s, n)
				}
			}
		})
	}
}

// TestExtractTypeFilter: --type keeps the objects whose detected type has the prefix.
func TestExtractTypeFilter(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "x")
	if _, errOut, code := runCmd(t, nil, "extract", "../../testdata/pcaps/zeek__http_pipelined-requests.pcap", "-o", dir, "-q", "--type", "image/png"); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	index := readCSV(t, filepath.Join(dir, "index.csv"))
	if len(index) != 3 { // key-point-top.png and header-sunbird.png (bullet_utility.png is a GIF, whatever its name)
		t.Fatalf("index: %q", index)
	}
	for _, r := range index[1:] {
		if r[8] != "image/png" {
			t.Errorf("type %s kept", r[8])
		}
	}
	// a second run into the same directory is refused: extract never overwrites
	if _, _, code := runCmd(t, nil, "extract", "../../testdata/pcaps/zeek__http_pipelined-requests.pcap", "-o", dir, "-q"); code == 0 {
		t.Error("a second run over index.csv succeeded")
	}
}

// TestSafeFileName checks the sanitising of hostile names.
func TestSafeFileName(t *testing.T) {
	long := strings.Repeat("a", 10000) + ".pdf"
	cases := []struct{ in, want string }{
		{"report.pdf", "report.pdf"},
		{"../../etc/passwd", "passwd"},
		{`..\..\windows\system32\cmd.exe`, "cmd.exe"},
		{"..", ""},
		{".hidden", "hidden"},
		{`a\x00b.txt`, "a_x00b.txt"}, // the escaped form of a NUL
		{"a\x00b\x1b[31m.txt", "a_b_[31m.txt"},
		{"CON", "_CON"},
		{"nul.txt", "_nul.txt"},
		{"com1", "_com1"},
		{"index.csv", "_index.csv"},
		{"résumé.docx", "résumé.docx"},
		{"a/b/", ""},
		{"\u202egnp.exe", "_gnp.exe"},
		{"x\xff.bin", "x_.bin"},
		{"trailing. . ", "trailing"},
	}
	for _, c := range cases {
		if got := SafeFileName(c.in); got != c.want {
			t.Errorf("SafeFileName(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if got := SafeFileName(long); len(got) > maxNameBytes || !strings.HasSuffix(got, ".pdf") {
		t.Errorf("long name: %d bytes, %q...", len(got), got[:20])
	}
}

// TestExtractorHostileNames drives the extractor with rows whose names are hostile: every file lands inside the
// directory, none is overwritten (a file already there is kept), and index.csv says which name each got.
func TestExtractorHostileNames(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "passwd"), []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	x, err := newExtractor(&ExtractOptions{Output: dir, MaxFile: 1 << 20, MaxTotal: 1 << 20, MaxFiles: 100})
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"../../etc/passwd", "../../etc/passwd", `\x00\x01\x1f`, strings.Repeat("n", 10000), "/abs/path/CON.txt", "", "index.csv"}
	for i, n := range names {
		fuid := files.Table.Name + string(rune('A'+i))
		s := x.open(fuid)
		if s == nil {
			t.Fatal("no spool")
		}
		s.Write([]byte("content " + n))
		sum := sha256.Sum256([]byte("content " + n))
		if err := x.finish(&files.Row{FUID: fuid, UID: "C1", Source: "HTTP", Filename: n, SeenBytes: int64(len("content " + n)), SHA256: hex.EncodeToString(sum[:]), MIMEType: "text/plain", Complete: true}); err != nil {
			t.Fatal(err)
		}
	}
	if err := x.close(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "passwd")); string(b) != "keep me" {
		t.Fatalf("passwd overwritten: %q", b)
	}
	index := readCSV(t, filepath.Join(dir, "index.csv"))
	if len(index) != len(names)+1 {
		t.Fatalf("index: %d rows", len(index))
	}
	var written []string
	sums := fileSums(t, dir)
	for _, r := range index[1:] {
		name := r[5]
		written = append(written, name)
		if strings.ContainsAny(name, "/\\\x00") || strings.HasPrefix(name, ".") || len(name) > maxNameBytes {
			t.Errorf("unsafe name %q", name)
		}
		if sums[name] != r[7] {
			t.Errorf("%s: sha256 %s, index %s", name, sums[name], r[7])
		}
	}
	sort.Strings(written)
	want := []string{"_CON.txt", "_x00_x01_x1f", "_index.csv", "filesF.txt", "passwd (1)", "passwd (2)"}
	for _, w := range want {
		if i := sort.SearchStrings(written, w); i == len(written) || written[i] != w {
			t.Errorf("no file %q in %q", w, written)
		}
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".extract-") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
	_ = bytes.MinRead
}

// TestExtractCaps: --max-file-bytes cuts files (index.csv says so), --max-files stops writing and says how many
// objects were left out, and no temporary file is left.
func TestExtractCaps(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "x")
	_, errOut, code := runCmd(t, nil, "extract", "../../testdata/pcaps/chrissanders__http_espn.pcapng", "-o", dir, "-q", "--max-file-bytes", "1000", "--max-files", "5")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	index := readCSV(t, filepath.Join(dir, "index.csv"))
	if len(index) != 6 {
		t.Fatalf("%d files written, want 5", len(index)-1)
	}
	if !strings.Contains(errOut, "not written") {
		t.Errorf("no count of the objects left out: %q", errOut)
	}
	sums := fileSums(t, dir)
	cut := 0
	for _, r := range index[1:] {
		st, err := os.Stat(filepath.Join(dir, r[5]))
		if err != nil || st.Size() > 1000 || r[6] != strconv.FormatInt(st.Size(), 10) {
			t.Errorf("%s: %v, size %d, index bytes %s", r[5], err, st.Size(), r[6])
		}
		if r[10] == "true" {
			cut++
			if !strings.Contains(r[11], "cut") {
				t.Errorf("%s: cut without a note", r[5])
			}
		} else if sums[r[5]] != r[7] {
			t.Errorf("%s: sha256 differs but not cut", r[5])
		}
	}
	if cut == 0 {
		t.Error("no file was cut at 1000 bytes")
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 6 {
		t.Errorf("%d entries in the directory, want 5 files and index.csv", len(ents))
	}
}
