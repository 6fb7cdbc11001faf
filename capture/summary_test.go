package capture

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestSummarizeAgainstPcapgo(t *testing.T) {
	compared := 0
	for _, name := range corpusFiles(t) {
		if _, odd := pcapgoDivergence[name]; odd {
			continue
		}
		raw := readTestFile(t, name)
		want, werr, ok := readPcapgo(t, decompressed(t, raw))
		if !ok || !errors.Is(werr, io.EOF) {
			continue // pcapgo cannot read it all
		}
		t.Run(name, func(t *testing.T) {
			s, err := Summarize(testFile(name))
			if err != nil {
				t.Fatal(err)
			}
			if s.Err != nil {
				t.Fatalf("Err = %v", s.Err)
			}
			var data, wire, first, last int64
			seen := false
			for _, w := range want {
				data += int64(w.ci.CaptureLength)
				wire += int64(w.ci.Length)
				if w.ci.Timestamp.IsZero() || !inRange(w.ci.Timestamp) {
					continue
				}
				ts := w.ci.Timestamp.UnixNano()
				if !seen || ts < first {
					first = ts
				}
				if !seen || ts > last {
					last = ts
				}
				seen = true
			}
			if s.Packets != int64(len(want)) || s.DataBytes != data || s.WireBytes != wire || s.First != first || s.Last != last || s.DurationNs != last-first {
				t.Errorf("summary %+v; pcapgo packets %d data %d wire %d first %d last %d", s, len(want), data, wire, first, last)
			}
			if st, _ := os.Stat(testFile(name)); s.FileSize != st.Size() {
				t.Errorf("FileSize %d, want %d", s.FileSize, st.Size())
			}
			compared++
		})
	}
	if compared < 20 {
		t.Errorf("only %d files compared", compared)
	}
}

func TestSummarizeDetails(t *testing.T) {
	s, err := Summarize(testFile("pcapplusplus__Pcap__Test_PcapExamples_many_interfaces-1.pcapng"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Format != FormatPcapng || s.Compression != "" || len(s.Interfaces) != 11 || !slices.Equal(s.LinkTypes, []uint32{1, 0, 12}) || s.SnapLen != 262144 || s.Packets != 64 {
		t.Errorf("summary %+v", s)
	}

	// Damage mid-file: a partial summary with Err set.
	s, err = Summarize(testFile("suricata-verify__bug-1450-04_tls_DER-incomplete-header.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Packets != 6 || !errors.Is(s.Err, ErrCorrupt) {
		t.Errorf("partial summary %+v", s)
	}

	// Not a capture: no summary.
	if s, err := Summarize(testFile("MANIFEST.tsv")); s != nil || !errors.Is(err, ErrNotCapture) {
		t.Errorf("Summarize(MANIFEST.tsv) = %v, %v", s, err)
	}
	if _, err := Summarize(testFile("no-such-file.pcap")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}

	// Simple packet blocks carry no time: First/Last stay 0.
	s, err = Summarize(testFile("gopacket__pcapgo_tests_le_test010.pcapng"))
	if err != nil || s.Packets != 4 || s.First != 0 || s.Last != 0 || s.DataBytes != 1312 {
		t.Errorf("summary %+v, %v", s, err)
	}

	// A stream: FileSize is the number of bytes read.
	raw := readTestFile(t, "zeek__http_iso-download.pcap.gz")
	r, err := NewReader(bytes.NewReader(raw), "-")
	if err != nil {
		t.Fatal(err)
	}
	s = SummarizeReader(r)
	if s.FileSize != int64(len(raw)) || s.Compression != CompressionGzip || s.Packets != 289 || s.DataBytes != 377830 {
		t.Errorf("summary %+v", s)
	}
}

// capinfosDivergence lists files whose capinfos times are not comparable.
var capinfosDivergence = map[string]string{
	"tcpdump__timestamp_invalid_micro.pcap":                                           "capinfos prints an unnormalised 1000000-microsecond fraction",
	"pcapplusplus__Pcap__Test_PcapExamples_pcapng-example.pcapng":                     "a timestamp past 2116 is out of range (no time); capinfos counts it",
	"pcapplusplus__Pcap__Test_PcapExamples_file_heuristics_pcapng-example.pcapng.zst": "a timestamp past 2116 is out of range (no time); capinfos counts it",
}

// TestSummarizeCapinfos compares packets, wire bytes, duration and the
// earliest and latest times with `capinfos -T -r -M -c -d -u -a -e -S`.
func TestSummarizeCapinfos(t *testing.T) {
	if _, err := exec.LookPath("capinfos"); err != nil {
		t.Fatal("capinfos is not installed (apt-get install -y tshark; scripts/test.sh installs it)")
	}
	if testing.Short() {
		t.Skip("-short")
	}
	var names []string
	if os.Getenv("PCAPFRAME_TSHARK_ALL") != "" {
		names = corpusFiles(t)
	} else {
		for _, c := range corpusCases {
			names = append(names, c.name)
		}
	}
	errRE := regexp.MustCompile(`error occurred after reading (\d+) packets`)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			if why, ok := tsharkDivergence[name]; ok {
				t.Skip(why)
			}
			path := testFile(name)
			cmd := exec.Command("capinfos", "-T", "-r", "-M", "-c", "-d", "-u", "-a", "-e", "-S", path)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			runErr := cmd.Run()
			s, err := Summarize(path)
			if m := errRE.FindStringSubmatch(stderr.String()); m != nil {
				n, _ := strconv.ParseInt(m[1], 10, 64)
				if err == nil && (s.Err == nil || s.Packets != n) {
					t.Fatalf("capinfos stopped after %d packets; we read %d, Err %v", n, s.Packets, s.Err)
				}
				return
			}
			if runErr != nil {
				if err == nil && s.Err == nil {
					t.Fatalf("capinfos failed (%s), we did not", strings.TrimSpace(stderr.String()))
				}
				return
			}
			if err != nil || s.Err != nil {
				t.Fatalf("capinfos read it; we: %v %v", err, s.Err)
			}
			f := strings.Split(strings.TrimSpace(stdout.String()), "\t")
			if len(f) != 6 {
				t.Fatalf("capinfos output %q", stdout.String())
			}
			if got := strconv.FormatInt(s.Packets, 10); got != f[1] {
				t.Errorf("packets %s, capinfos %s", got, f[1])
			}
			// capinfos' "data size" sums the original (wire) lengths.
			if got := strconv.FormatInt(s.WireBytes, 10); got != f[2] {
				t.Errorf("wire bytes %s, capinfos data size %s", got, f[2])
			}
			if _, ok := capinfosDivergence[name]; ok || f[3] == "n/a" {
				return
			}
			for _, c := range []struct {
				what string
				got  int64
				text string
			}{{"duration", s.DurationNs, f[3]}, {"first", s.First, f[4]}, {"last", s.Last, f[5]}} {
				if want := parseEpoch(t, c.text); c.got != want {
					t.Errorf("%s %d, capinfos %s", c.what, c.got, c.text)
				}
			}
		})
	}
}

func TestExpand(t *testing.T) {
	dir := t.TempDir()
	mk := func(rel string) string {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		// A classic pcap header (magic, version 2.4, snap length 65535, Ethernet): a capture without records.
		header := []byte{0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0}
		if err := os.WriteFile(p, header, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	notes := filepath.Join(dir, "caps", "MANIFEST.tsv")
	b := mk("caps/b.pcap")
	a := mk("caps/a.pcapng")
	z := mk("caps/sub/z.pcap")
	mk("caps/.hidden.pcap")
	mk("caps/.git/objects/x")
	single := mk("one.pcap")
	link := filepath.Join(dir, "caps", "c-link.pcap")
	if err := os.Symlink(single, link); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "caps", "sub"), filepath.Join(dir, "caps", "dirlink")); err != nil {
		t.Fatal(err)
	}
	hiddenGiven := filepath.Join(dir, "caps", ".hidden.pcap")
	if err := os.WriteFile(notes, []byte("file\tsource\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	got, skipped, err := ExpandSkipping([]string{single, "-", filepath.Join(dir, "caps"), hiddenGiven})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{single, "-", a, b, link, z, hiddenGiven}
	if !slices.Equal(got, want) {
		t.Errorf("Expand\n got %q\nwant %q", got, want)
	}
	if !slices.Equal(skipped, []string{notes}) {
		t.Errorf("skipped %q, want the MANIFEST only", skipped)
	}
	if got, err := Expand([]string{notes}); err != nil || !slices.Equal(got, []string{notes}) {
		t.Errorf("a non-capture named as an input: %q, %v (it must be kept, to fail when read)", got, err)
	}

	if _, err := Expand([]string{filepath.Join(dir, "missing.pcap")}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing input: %v", err)
	}
	if got, err := Expand(nil); err != nil || len(got) != 0 {
		t.Errorf("Expand(nil) = %v, %v", got, err)
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := Open(t.TempDir()); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("Open(dir) = %v", err)
	}
	if _, err := Open("does-not-exist.pcap"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open(missing) = %v", err)
	}
}
