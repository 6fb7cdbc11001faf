package capture

import (
	"bytes"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// tsharkDivergence lists files where tshark's reading is not the reference.
var tsharkDivergence = map[string]string{
	"suricata-verify__bug-6875-01_fuzz.pcap":              "wireshark guesses a non-standard pcap variant for this damaged file",
	"pcapplusplus__Pcap__Test_PcapExamples_solaris.snoop": "snoop is not supported",
}

type tsharkRow struct {
	frame       int64
	time        int64
	hasTime     bool
	wire, cap   int
	iface       int
	hasIface    bool
	comment     string
	rawTimeText string
}

// runTshark reads a capture with tshark. failed reports a non-zero exit
// (tshark prints the records before a damaged one, then fails).
func runTshark(t *testing.T, path string) (rows []tsharkRow, failed bool) {
	t.Helper()
	cmd := exec.Command("tshark", "-n", "--disable-protocol", "ALL", "-r", path, "-T", "fields",
		"-e", "frame.number", "-e", "frame.time_epoch", "-e", "frame.len", "-e", "frame.cap_len",
		"-e", "frame.interface_id", "-e", "frame.comment", "-E", "separator=/t")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if _, isExit := err.(*exec.ExitError); err != nil && !isExit {
		t.Fatalf("tshark: %v", err)
	}
	for line := range strings.Lines(stdout.String()) {
		f := strings.Split(strings.TrimRight(line, "\n"), "\t")
		if len(f) < 6 {
			t.Fatalf("tshark line %q", line)
		}
		var r tsharkRow
		r.frame, _ = strconv.ParseInt(f[0], 10, 64)
		r.rawTimeText = f[1]
		if f[1] != "" {
			r.time, r.hasTime = parseEpoch(t, f[1]), true
		}
		r.wire, _ = strconv.Atoi(f[2])
		r.cap, _ = strconv.Atoi(f[3])
		if f[4] != "" {
			r.iface, _ = strconv.Atoi(f[4])
			r.hasIface = true
		}
		r.comment = f[5]
		rows = append(rows, r)
	}
	return rows, err != nil
}

// parseEpoch parses tshark's frame.time_epoch ("secs.nnnnnnnnn", where the
// fraction is the nanosecond count printed with %09d) into Unix ns,
// saturating like the reader does.
func parseEpoch(t *testing.T, s string) int64 {
	t.Helper()
	secText, fracText, _ := strings.Cut(s, ".")
	secs, err := strconv.ParseInt(secText, 10, 64)
	if err != nil {
		t.Fatalf("bad time %q", s)
	}
	for len(fracText) < 9 {
		fracText += "0"
	}
	ns, err := strconv.ParseInt(fracText, 10, 64)
	if err != nil {
		t.Fatalf("bad time %q", s)
	}
	if secs > math.MaxInt64/1_000_000_000-1 {
		return math.MaxInt64
	}
	return secs*1e9 + ns
}

// TestTshark compares frame numbers, timestamps, lengths, interfaces and
// comments with tshark, for the curated corpus cases (every corpus file
// with PCAPFRAME_TSHARK_ALL=1) and the synthetic pcapng files.
func TestTshark(t *testing.T) {
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Fatal("tshark is not installed (apt-get install -y tshark; scripts/test.sh installs it)")
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
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			compareTshark(t, testFile(name), name)
		})
	}
	dir := t.TempDir()
	for _, s := range syntheticCaptures(t) {
		if s.err != nil || s.tsharkSkip != "" {
			continue
		}
		t.Run("synthetic/"+s.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(s.name, " ", "_")+".pcapng")
			if err := os.WriteFile(path, s.data, 0o644); err != nil {
				t.Fatal(err)
			}
			compareTshark(t, path, s.name)
		})
	}
}

func compareTshark(t *testing.T, path, name string) {
	t.Helper()
	want, tsharkFailed := runTshark(t, path)
	r, err := Open(path)
	var got []rec
	if err == nil {
		got, err = readAll(t, r)
		r.Close()
	}
	if why, ok := tsharkDivergence[name]; ok {
		t.Skipf("known divergence: %s", why)
	}
	if tsharkFailed != (err != nil) {
		t.Errorf("tshark failed: %v; our error: %v", tsharkFailed, err)
	}
	var packets []tsharkRow
	for _, w := range want {
		// In pcapng, rows without an interface are custom or journal
		// blocks: frames to Wireshark, not packets.
		if w.hasIface || r == nil || r.Format() != FormatPcapng {
			packets = append(packets, w)
		}
	}
	if len(got) != len(packets) {
		t.Fatalf("we read %d packets, tshark %d", len(got), len(packets))
	}
	for i, w := range packets {
		g := got[i]
		wt := w.time
		if w.hasTime && (wt < MinTime || wt > MaxTime) {
			w.hasTime = false // outside pcapframe's range: no time (parseEpoch saturates, so wt is out of range too)
		}
		if g.NoTime == w.hasTime {
			t.Fatalf("frame %d: tshark has a time: %v, pcapframe NoTime %v", w.frame, w.hasTime, g.NoTime)
		}
		if !w.hasTime { // the record before's time, 0 for the first
			wt = 0
			if i > 0 {
				wt = got[i-1].Time
			}
		}
		if g.Frame != w.frame || g.Time != wt || g.WireLen != w.wire || g.CapLen != w.cap || (w.hasIface && g.Interface != w.iface) {
			t.Fatalf("frame %d: got frame %d time %d wire %d cap %d if %d; tshark frame %d time %s wire %d cap %d if %d",
				i+1, g.Frame, g.Time, g.WireLen, g.CapLen, g.Interface, w.frame, w.rawTimeText, w.wire, w.cap, w.iface)
		}
		if c := strings.ReplaceAll(g.Comment, "\n", ","); c != w.comment {
			t.Fatalf("frame %d: comment %q, tshark %q", g.Frame, c, w.comment)
		}
	}
}
