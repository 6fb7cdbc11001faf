package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/pcapframe/pcapframe/capture"
	"github.com/pcapframe/pcapframe/live"
	"github.com/pcapframe/pcapframe/packet"
	"github.com/pcapframe/pcapframe/sink"
)

// sniffRun runs pcapframe with args in-process and returns its exit status, standard output and error.
func sniffRun(ctx context.Context, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	io := &IO{In: strings.NewReader(""), Out: &out, ErrOut: &errb}
	root := NewRoot(io)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	code := report(&errb, err)
	return code, out.String(), errb.String()
}

func sniffNeedRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("live capture needs root (or CAP_NET_RAW): run the cli tests as root, as CI does")
	}
}

func TestSniffUsage(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no interface", []string{"sniff", "-w", dir + "/a.pcap"}, ExitUsage, "no interface"},
		{"no output", []string{"sniff", "-i", "lo"}, ExitUsage, "nothing to write"},
		{"bad snaplen", []string{"sniff", "-i", "lo", "-w", dir + "/a.pcap", "-s", "0"}, ExitUsage, "--snaplen"},
		{"bad extension", []string{"sniff", "-i", "lo", "-w", dir + "/a.txt"}, ExitUsage, ".pcap or .pcapng"},
		{"bad table extension", []string{"sniff", "-i", "lo", "-o", dir + "/a.xls"}, ExitUsage, "unknown extension"},
		{"keep without rotation", []string{"sniff", "-i", "lo", "-w", dir + "/a.pcap", "--keep", "3"}, ExitUsage, "--keep needs"},
		{"rotation without -w", []string{"sniff", "-i", "lo", "-o", dir + "/a.csv", "--rotate-time", "1m"}, ExitUsage, "need -w"},
		{"bad size", []string{"sniff", "-i", "lo", "-w", dir + "/a.pcap", "--rotate-size", "lots"}, ExitUsage, "invalid size"},
		{"filter twice", []string{"sniff", "-i", "lo", "-w", dir + "/a.pcap", "-f", "udp", "tcp"}, ExitUsage, "either with -f or as arguments"},
		{"invalid filter", []string{"sniff", "-i", "lo", "-w", dir + "/a.pcap", "-f", "udp port 70000"}, ExitUsage, `invalid filter "udp port 70000": illegal port number`},
		{"unsupported filter", []string{"sniff", "-i", "lo", "-w", dir + "/a.pcap", "vlan", "10"}, ExitUsage, `"vlan" is not supported`},
		{"any interface", []string{"sniff", "-i", "any", "-w", dir + "/a.pcap"}, ExitUsage, "not supported"},
		{"missing interface", []string{"sniff", "-i", "nosuch0", "-w", dir + "/a.pcap"}, ExitError, `interface "nosuch0" not found`},
		{"unknown column", []string{"sniff", "-i", "lo", "-o", dir + "/a.csv", "--columns", "src,nope"}, ExitUsage, `"nope"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := sniffRun(context.Background(), tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.msg) {
				t.Fatalf("exit %d, stderr %q; want exit %d and %q", code, stderr, tt.code, tt.msg)
			}
			if lines := strings.Split(strings.TrimSpace(stderr), "\n"); !strings.HasPrefix(lines[0], "pcapframe: ") || len(lines) > 2 {
				t.Errorf("error is not one line: %q", stderr)
			}
			if entries, _ := os.ReadDir(dir); len(entries) > 0 {
				t.Errorf("a failed run left %d files", len(entries))
			}
		})
	}
}

func TestParseSize(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int64
	}{
		{"100", 100}, {"1k", 1000}, {"10MB", 10e6}, {"1GiB", 1 << 30}, {"1.5 MiB", 3 << 19}, {"2kib", 2048}, {"5B", 5},
	} {
		if got, err := parseSize(tt.in); err != nil || got != tt.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "MB", "-1", "1 XB", "1e30GB"} {
		if _, err := parseSize(bad); err == nil {
			t.Errorf("parseSize(%q) accepted", bad)
		}
	}
}

func TestSniffList(t *testing.T) {
	code, out, stderr := sniffRun(context.Background(), "sniff", "--list")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if lines[0] != "name\tindex\tlink\tstate\tmtu\tmac\taddresses" {
		t.Fatalf("header %q", lines[0])
	}
	found := false
	for _, l := range lines[1:] {
		f := strings.Split(l, "\t")
		if len(f) != 7 {
			t.Fatalf("line %q has %d fields", l, len(f))
		}
		if f[0] == "lo" {
			found = true
			if f[2] != "ethernet" || !strings.Contains(f[6], "127.0.0.1/8") {
				t.Errorf("lo listed as %q", l)
			}
		}
	}
	if !found {
		t.Errorf("lo not listed:\n%s", out)
	}
}

// udpTraffic sends datagrams of 64 bytes to 127.0.0.1:port every interval until stop is closed, and returns
// the number sent when it stops. Only loopback addresses are used.
func udpTraffic(t *testing.T, port int, interval time.Duration) (stop func() int) {
	t.Helper()
	c, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var n int
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer c.Close()
		msg := make([]byte, 64)
		deadline := time.Now().Add(30 * time.Second) // bounded, whatever the test does
		for time.Now().Before(deadline) {
			select {
			case <-done:
				return
			default:
			}
			copy(msg, strconv.Itoa(n))
			c.Write(msg)
			n++
			time.Sleep(interval)
		}
	}()
	return func() int {
		close(done)
		wg.Wait()
		return n
	}
}

// udpSink listens on a free UDP port of 127.0.0.1 (so that sent datagrams cause no ICMP errors).
func udpSink(t *testing.T) int {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		buf := make([]byte, 65536)
		for {
			if _, _, err := c.ReadFrom(buf); err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() { c.Close() })
	return c.LocalAddr().(*net.UDPAddr).Port
}

// pcapFrame is one frame of a capture file, decoded independently of the packet package (by tshark when
// installed, otherwise by hand from the Ethernet/IPv4/UDP or TCP headers).
type pcapFrame struct {
	number       int64
	time         int64
	length       int
	src, dst     string
	sport, dport int
	proto        int
}

func readPcap(t *testing.T, path string) []pcapFrame {
	t.Helper()
	r, err := capture.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out []pcapFrame
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		d := rec.Data
		f := pcapFrame{number: rec.Frame, time: rec.Time, length: rec.WireLen}
		if len(d) >= 14+20 && d[12] == 8 && d[13] == 0 {
			ihl := int(d[14]&0xf) * 4
			f.proto = int(d[23])
			f.src = net.IP(d[26:30]).String()
			f.dst = net.IP(d[30:34]).String()
			if len(d) >= 14+ihl+4 {
				f.sport = int(d[14+ihl])<<8 | int(d[15+ihl])
				f.dport = int(d[16+ihl])<<8 | int(d[17+ihl])
			}
		}
		out = append(out, f)
	}
	if _, err := exec.LookPath("tshark"); err == nil {
		cmd := exec.Command("tshark", "-n", "-r", path, "-T", "fields", "-E", "separator=,",
			"-e", "frame.number", "-e", "frame.len", "-e", "ip.src", "-e", "ip.dst", "-e", "ip.proto",
			"-e", "udp.srcport", "-e", "udp.dstport", "-e", "tcp.srcport", "-e", "tcp.dstport")
		raw, err := cmd.Output()
		if err != nil {
			t.Fatalf("tshark -r %s: %v", path, err)
		}
		sc := bufio.NewScanner(bytes.NewReader(raw))
		i := 0
		for ; sc.Scan(); i++ {
			c := strings.Split(sc.Text(), ",")
			if i >= len(out) {
				t.Fatalf("tshark reads more frames than capture.Open (%d)", len(out))
			}
			f := out[i]
			port := func(a, b string) string {
				if a != "" {
					return a
				}
				return b
			}
			want := []string{strconv.FormatInt(f.number, 10), strconv.Itoa(f.length), f.src, f.dst, strconv.Itoa(f.proto),
				strconv.Itoa(f.sport), strconv.Itoa(f.dport)}
			got := []string{c[0], c[1], c[2], c[3], c[4], port(c[5], c[7]), port(c[6], c[8])}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Fatalf("frame %d: tshark says %v, capture.Open and the headers say %v", i+1, got, want)
			}
		}
		if i != len(out) {
			t.Fatalf("tshark reads %d frames, capture.Open %d", i, len(out))
		}
	}
	return out
}

// tableRow is a row of the packet table as JSON Lines.
type tableRow struct {
	Source  string      `json:"source"`
	Frame   int64       `json:"frame"`
	Time    json.Number `json:"time"`
	WireLen int         `json:"wirelen"`
	Src     string      `json:"src"`
	Dst     string      `json:"dst"`
	Proto   int         `json:"proto"`
	SPort   int         `json:"sport"`
	DPort   int         `json:"dport"`
}

func readJSONL(t *testing.T, path string) []tableRow {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rows []tableRow
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		if line == "" {
			continue
		}
		var r tableRow
		dec := json.NewDecoder(strings.NewReader(line))
		dec.UseNumber()
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("%s: %v in %q", path, err, line)
		}
		rows = append(rows, r)
	}
	return rows
}

// epochNanos converts decimal epoch seconds ("1795632331.556271461") to nanoseconds exactly.
func epochNanos(t *testing.T, n json.Number) int64 {
	sec, frac, _ := strings.Cut(n.String(), ".")
	s, err := strconv.ParseInt(sec, 10, 64)
	if err != nil || len(frac) > 9 {
		t.Fatalf("time %q", n)
	}
	f, _ := strconv.ParseInt((frac + "000000000")[:9], 10, 64)
	return s*1e9 + f
}

// agree checks that the table has one row per frame of the capture file, with the same values.
func agree(t *testing.T, pcapPath string, frames []pcapFrame, rows []tableRow) {
	t.Helper()
	if len(rows) != len(frames) {
		t.Fatalf("table has %d rows, capture file %d frames", len(rows), len(frames))
	}
	for i, r := range rows {
		f := frames[i]
		if r.Source != pcapPath || r.Frame != f.number || r.WireLen != f.length || r.Src != f.src || r.Dst != f.dst ||
			r.Proto != f.proto || r.SPort != f.sport || r.DPort != f.dport || epochNanos(t, r.Time) != f.time {
			t.Fatalf("row %d %+v does not match frame %+v", i, r, f)
		}
	}
}

// TestSniffLoopbackUDP captures UDP the test sends to itself on lo, with a filter that excludes a second
// stream, and checks the count, the filter, the capture file (capture.Open and tshark) and the table.
func TestSniffLoopbackUDP(t *testing.T) {
	sniffNeedRoot(t)
	for _, ext := range []string{".pcapng", ".pcap"} {
		t.Run(ext, func(t *testing.T) {
			dir := t.TempDir()
			port, noise := udpSink(t), udpSink(t)
			pcapPath, table := filepath.Join(dir, "cap"+ext), filepath.Join(dir, "cap.jsonl")
			stopNoise := udpTraffic(t, noise, time.Millisecond)
			stop := udpTraffic(t, port, time.Millisecond)
			before := time.Now().UnixNano()
			code, _, stderr := sniffRun(context.Background(), "sniff", "-i", "lo", "-f", fmt.Sprintf("udp and dst port %d", port),
				"-c", "150", "-w", pcapPath, "-o", table, "--columns", "source,frame,time,wirelen,src,dst,proto,sport,dport")
			after := time.Now().UnixNano()
			stop()
			stopNoise()
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if !strings.Contains(stderr, "150 packets captured on lo") || !strings.Contains(stderr, "dropped: 0 by the kernel, 0 by pcapframe") {
				t.Errorf("final counts: %q", stderr)
			}
			frames := readPcap(t, pcapPath)
			if len(frames) != 150 {
				t.Fatalf("capture file has %d frames, want 150", len(frames))
			}
			for i, f := range frames {
				if f.proto != 17 || f.dport != port || f.src != "127.0.0.1" || f.dst != "127.0.0.1" || f.length != 14+20+8+64 {
					t.Fatalf("frame %d %+v does not match the filter", i, f)
				}
				if f.time < before || f.time > after || i > 0 && f.time < frames[i-1].time {
					t.Fatalf("frame %d time %d not in [%d, %d] or not increasing", i, f.time, before, after)
				}
			}
			agree(t, pcapPath, frames, readJSONL(t, table))
			code, out, stderr := sniffRun(context.Background(), "info", pcapPath)
			if code != 0 || !regexp.MustCompile(`(?m)^Number of packets:\s+150$`).MatchString(out) {
				t.Errorf("pcapframe info: exit %d, %s%s", code, out, stderr)
			}
		})
	}
}

// TestSniffLoopbackTCP captures a TCP connection to a listener of the test, with a duration limit, and
// checks that the capture file and a Parquet table agree.
func TestSniffLoopbackTCP(t *testing.T) {
	sniffNeedRoot(t)
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(io.Discard, c); c.Close() }()
		}
	}()
	dir := t.TempDir()
	pcapPath, table := filepath.Join(dir, "tcp.pcap"), filepath.Join(dir, "tcp.parquet")
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		time.Sleep(300 * time.Millisecond) // let the capture start
		for range 5 {
			c, err := net.Dial("tcp4", ln.Addr().String())
			if err != nil {
				return
			}
			c.Write(bytes.Repeat([]byte("pcapframe"), 1000))
			c.Close()
			time.Sleep(20 * time.Millisecond)
		}
	}()
	code, _, stderr := sniffRun(context.Background(), "sniff", "-i", "lo", fmt.Sprintf("tcp port %d", port),
		"--duration", "1500ms", "-w", pcapPath, "-o", table, "-q")
	wg.Wait()
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	frames := readPcap(t, pcapPath)
	syns := 0
	for i, f := range frames {
		if f.proto != 6 || f.sport != port && f.dport != port {
			t.Fatalf("frame %d %+v does not match the filter", i, f)
		}
		if f.dport == port && f.length == 14+20+40 || f.dport == port && f.length == 14+20+32 {
			syns++
		}
	}
	if len(frames) < 5*5 {
		t.Fatalf("only %d frames for 5 connections", len(frames))
	}
	pf, err := os.Open(table)
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	st, _ := pf.Stat()
	pq, err := parquet.OpenFile(pf, st.Size())
	if err != nil {
		t.Fatalf("table: %v", err)
	}
	if n := pq.NumRows(); n != int64(len(frames)) {
		t.Fatalf("table has %d rows, capture file %d frames", n, len(frames))
	}
}

// TestSniffCancel stops an open-ended capture the way Ctrl-C does (the command's context is cancelled):
// the exit status is 0 and both files are complete and agree.
func TestSniffCancel(t *testing.T) {
	sniffNeedRoot(t)
	dir := t.TempDir()
	port := udpSink(t)
	pcapPath, table := filepath.Join(dir, "c.pcapng"), filepath.Join(dir, "c.jsonl")
	stop := udpTraffic(t, port, 2*time.Millisecond)
	defer stop()
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		// Cancel once the capture file holds some packets.
		for range 100 {
			time.Sleep(50 * time.Millisecond)
			if st, err := os.Stat(pcapPath); err == nil && st.Size() > 2000 {
				break
			}
		}
		cancel()
	}()
	code, _, stderr := sniffRun(ctx, "sniff", "-i", "lo", "-f", fmt.Sprintf("udp port %d", port), "-w", pcapPath, "-o", table,
		"--columns", "source,frame,time,wirelen,src,dst,proto,sport,dport")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	frames := readPcap(t, pcapPath)
	if len(frames) == 0 {
		t.Fatal("nothing captured")
	}
	if !strings.Contains(stderr, fmt.Sprintf("%d packets captured", len(frames))) {
		t.Errorf("final counts %q, file has %d frames", stderr, len(frames))
	}
	agree(t, pcapPath, frames, readJSONL(t, table))
}

// TestSniffRotation rotates by size and keeps the last 3 files; every kept file is complete and the table
// names the file and frame number of each packet.
func TestSniffRotation(t *testing.T) {
	sniffNeedRoot(t)
	dir := t.TempDir()
	port := udpSink(t)
	stop := udpTraffic(t, port, 500*time.Microsecond)
	code, _, stderr := sniffRun(context.Background(), "sniff", "-i", "lo", "-f", fmt.Sprintf("udp port %d", port), "-c", "400",
		"-w", filepath.Join(dir, "ring.pcap"), "--rotate-size", "8KiB", "--keep", "3",
		"-o", filepath.Join(dir, "t.jsonl"), "--columns", "source,frame,time,wirelen,src,dst,proto,sport,dport")
	stop()
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "ring-*.pcap"))
	if len(files) != 3 {
		t.Fatalf("%d capture files kept, want 3: %v", len(files), files)
	}
	rows := readJSONL(t, filepath.Join(dir, "t.jsonl"))
	if len(rows) != 400 {
		t.Fatalf("table has %d rows, want 400", len(rows))
	}
	total := 0
	for _, f := range files {
		st, _ := os.Stat(f)
		if st.Size() > 8<<10 {
			t.Errorf("%s has %d bytes", f, st.Size())
		}
		frames := readPcap(t, f)
		var inFile []tableRow
		for _, r := range rows {
			if r.Source == f {
				inFile = append(inFile, r)
			}
		}
		agree(t, f, frames, inFile)
		total += len(frames)
	}
	if want := 3 * ((8<<10 - 24) / (16 + 106)); total > want {
		t.Errorf("the 3 kept files hold %d frames, at most %d fit", total, want)
	}
}

// TestSniffDiskFull writes the capture file to a full tmpfs: one-line error, exit 1, and the file holds
// complete records that tshark and capture.Open read.
func TestSniffDiskFull(t *testing.T) {
	sniffNeedRoot(t)
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=64k"); err != nil {
		t.Fatalf("cannot mount a tmpfs (the test needs root): %v", err)
	}
	defer syscall.Unmount(dir, 0)
	port := udpSink(t)
	stop := udpTraffic(t, port, 200*time.Microsecond)
	defer stop()
	pcapPath := filepath.Join(dir, "full.pcapng")
	code, _, stderr := sniffRun(context.Background(), "sniff", "-i", "lo", "-f", fmt.Sprintf("udp port %d", port),
		"-w", pcapPath, "--duration", "20s")
	if code != ExitError || !strings.Contains(stderr, "no space left on device") || strings.Count(stderr, "pcapframe:") != 1 {
		t.Fatalf("exit %d, stderr %q; want exit 1 and no space left on device", code, stderr)
	}
	frames := readPcap(t, pcapPath)
	if len(frames) == 0 {
		t.Fatal("nothing kept")
	}
}

// TestSniffHelperProcess is not a test: it runs pcapframe's main in a child process for the tests that need
// a real process (signals, another user).
func TestSniffHelperProcess(t *testing.T) {
	if os.Getenv("PCAPFRAME_SNIFF_HELPER") != "1" {
		t.Skip("helper process")
	}
	args := os.Args
	for i, a := range args {
		if a == "--" {
			args = args[i+1:]
			break
		}
	}
	os.Exit(Main(args))
}

func helperCommand(t *testing.T, exe string, args ...string) *exec.Cmd {
	cmd := exec.Command(exe, append([]string{"-test.run=^TestSniffHelperProcess$", "--"}, args...)...)
	cmd.Env = append(os.Environ(), "PCAPFRAME_SNIFF_HELPER=1")
	return cmd
}

// TestSniffSIGINT sends a real SIGINT to a capturing process: it exits 0 and its file is complete.
func TestSniffSIGINT(t *testing.T) {
	sniffNeedRoot(t)
	dir := t.TempDir()
	port := udpSink(t)
	stop := udpTraffic(t, port, time.Millisecond)
	defer stop()
	pcapPath := filepath.Join(dir, "sig.pcapng")
	cmd := helperCommand(t, os.Args[0], "sniff", "-i", "lo", "-f", fmt.Sprintf("udp port %d", port), "-w", pcapPath)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for range 100 {
		time.Sleep(50 * time.Millisecond)
		if st, err := os.Stat(pcapPath); err == nil && st.Size() > 2000 {
			break
		}
	}
	cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit: %v; stderr %q", err, stderr.String())
		}
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("sniff did not stop within 10s of SIGINT")
	}
	frames := readPcap(t, pcapPath)
	if len(frames) == 0 || !strings.Contains(stderr.String(), fmt.Sprintf("%d packets captured", len(frames))) {
		t.Fatalf("%d frames in the file; stderr %q", len(frames), stderr.String())
	}
}

// TestSniffNoPermission runs sniff as an unprivileged user: one-line error naming the capability, exit 1,
// and no file created.
func TestSniffNoPermission(t *testing.T) {
	sniffNeedRoot(t)
	dir, err := os.MkdirTemp("", "pcapframe-perm-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	os.Chmod(dir, 0o777)
	exe := filepath.Join(dir, "pcapframe.test")
	raw, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(exe, raw, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := helperCommand(t, exe, "sniff", "-i", "lo", "-w", filepath.Join(dir, "x.pcap"))
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != ExitError {
		t.Fatalf("exit %v, want status 1; stderr %q", err, stderr.String())
	}
	if msg := stderr.String(); !strings.Contains(msg, "CAP_NET_RAW") || strings.Count(msg, "\n") != 1 {
		t.Errorf("stderr %q", msg)
	}
	if _, err := os.Stat(filepath.Join(dir, "x.pcap")); err == nil {
		t.Error("a file was created")
	}
}

// BenchmarkSniffOutputs measures what sniff does with each captured batch outside the kernel: write the
// capture file, decode the frames and write the Parquet packet table (64-byte UDP datagrams on loopback, as
// scripts/sniff-bench.sh sends). The two writers run on separate goroutines in sniff, so the slower one
// bounds the rate.
func BenchmarkSniffOutputs(b *testing.B) {
	frame := make([]byte, 14+20+8+64)
	frame[12], frame[14], frame[23] = 8, 0x45, 17
	copy(frame[26:], []byte{127, 0, 0, 1, 127, 0, 0, 1})
	batch := live.NewBatch()
	for i := range 4096 {
		frame[40] = byte(i)
		batch.Append(int64(i)*1000, len(frame), frame)
	}
	for _, tt := range []string{"pcapng", "parquet"} {
		b.Run(tt, func(b *testing.B) {
			dir := b.TempDir()
			var fw *live.Writer
			var tw sink.Writer[packet.Packet]
			var err error
			if tt == "pcapng" {
				fw, err = live.NewWriter(filepath.Join(dir, "b.pcapng"), live.WriterOptions{LinkType: 1})
			} else {
				tw, err = sink.Create(packet.Table, sink.Parquet, filepath.Join(dir, "b.parquet"), sink.Options{})
			}
			if err != nil {
				b.Fatal(err)
			}
			dec := packet.NewDecoder()
			rows := make([]packet.Packet, len(batch.Frames))
			b.ReportAllocs()
			for b.Loop() {
				if fw != nil {
					if err := fw.Write(batch); err != nil {
						b.Fatal(err)
					}
					continue
				}
				for i, f := range batch.Frames {
					dec.Decode(&rows[i], packet.Meta{Source: "lo", Frame: int64(i), Time: f.Time, CapLen: int32(len(f.Data)),
						WireLen: int32(f.WireLen), LinkType: 1}, f.Data)
				}
				if err := tw.Write(rows); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*len(batch.Frames))/b.Elapsed().Seconds(), "pkts/s")
			if fw != nil {
				fw.Close()
			} else {
				tw.Close()
			}
		})
	}
}
