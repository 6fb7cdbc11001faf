package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/pcapframe/pcapframe/capture"
	"github.com/pcapframe/pcapframe/internal/textsafe"
	"github.com/pcapframe/pcapframe/stream"
)

// Hostile captures built by the tests (issue 16, items 14 and 15): every command still works on them and no
// capture text reaches a terminal raw.

// testIface is an interface description block of a test pcapng.
type testIface struct {
	name     string
	tsoffset int64 // if_tsoffset in seconds; 0: none written
}

// testPkt is an enhanced packet block of a test pcapng: microsecond timestamp (the default if_tsresol).
type testPkt struct {
	iface   uint32
	micros  uint64
	data    []byte
	comment string
}

// buildPcapng writes a little-endian pcapng file by hand, as the pcapng specification lays it out.
func buildPcapng(ifaces []testIface, pkts []testPkt) []byte {
	le := binary.LittleEndian
	var out []byte
	pad := func(b []byte) []byte {
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
		return b
	}
	opt := func(b []byte, code uint16, val []byte) []byte {
		b = le.AppendUint16(b, code)
		b = le.AppendUint16(b, uint16(len(val)))
		return pad(append(b, val...))
	}
	block := func(typ uint32, body []byte) {
		body = pad(body)
		n := uint32(12 + len(body))
		out = le.AppendUint32(out, typ)
		out = le.AppendUint32(out, n)
		out = append(out, body...)
		out = le.AppendUint32(out, n)
	}
	var shb []byte
	shb = le.AppendUint32(shb, 0x1a2b3c4d)
	shb = le.AppendUint16(shb, 1)
	shb = le.AppendUint16(shb, 0)
	shb = le.AppendUint64(shb, ^uint64(0))
	block(0x0a0d0d0a, shb)
	for _, i := range ifaces {
		var b []byte
		b = le.AppendUint16(b, 1) // Ethernet
		b = le.AppendUint16(b, 0)
		b = le.AppendUint32(b, 0)
		if i.name != "" {
			b = opt(b, 2, []byte(i.name))
		}
		if i.tsoffset != 0 {
			b = opt(b, 14, le.AppendUint64(nil, uint64(i.tsoffset)))
		}
		b = le.AppendUint32(b, 0) // opt_endofopt
		block(1, b)
	}
	for _, p := range pkts {
		var b []byte
		b = le.AppendUint32(b, p.iface)
		b = le.AppendUint32(b, uint32(p.micros>>32))
		b = le.AppendUint32(b, uint32(p.micros))
		b = le.AppendUint32(b, uint32(len(p.data)))
		b = le.AppendUint32(b, uint32(len(p.data)))
		b = pad(append(b, p.data...))
		if p.comment != "" {
			b = opt(b, 1, []byte(p.comment))
			b = le.AppendUint32(b, 0)
		}
		block(6, b)
	}
	return out
}

// tcpFrame builds an Ethernet/IPv4/TCP frame with correct lengths and checksums.
func tcpFrame(t *testing.T, src, dst string, sport, dport uint16, seq, ack uint32, flags string, payload []byte) []byte {
	t.Helper()
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: net.ParseIP(src).To4(), DstIP: net.ParseIP(dst).To4()}
	tcp := &layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: layers.TCPPort(dport), Seq: seq, Ack: ack, Window: 65535,
		SYN: strings.Contains(flags, "S"), ACK: strings.Contains(flags, "A"), PSH: strings.Contains(flags, "P"), FIN: strings.Contains(flags, "F")}
	if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
		t.Fatal(err)
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, tcp, gopacket.Payload(payload)); err != nil {
		t.Fatal(err)
	}
	return bytes.Clone(buf.Bytes())
}

// conversation returns a TCP conversation (handshake, a request, a response, FINs) between 10.0.0.1:40000 and
// 10.0.0.2:80, each frame on the interface ifaces[i] (cycled) at 1700000000 s + i ms.
func conversation(t *testing.T, request, response string, ifaces []uint32, comment string) []testPkt {
	const c, s = "10.0.0.1", "10.0.0.2"
	req, resp := []byte(request), []byte(response)
	frames := [][]byte{
		tcpFrame(t, c, s, 40000, 80, 100, 0, "S", nil),
		tcpFrame(t, s, c, 80, 40000, 500, 101, "SA", nil),
		tcpFrame(t, c, s, 40000, 80, 101, 501, "A", nil),
		tcpFrame(t, c, s, 40000, 80, 101, 501, "PA", req),
		tcpFrame(t, s, c, 80, 40000, 501, 101+uint32(len(req)), "PA", resp),
		tcpFrame(t, c, s, 40000, 80, 101+uint32(len(req)), 501+uint32(len(resp)), "FA", nil),
		tcpFrame(t, s, c, 80, 40000, 501+uint32(len(resp)), 102+uint32(len(req)), "FA", nil),
	}
	var pkts []testPkt
	for i, f := range frames {
		pkts = append(pkts, testPkt{iface: ifaces[i%len(ifaces)], micros: 1_700_000_000*1_000_000 + uint64(i)*1000, data: f, comment: comment})
	}
	return pkts
}

// writeTemp writes data to name in a new temporary directory and returns the path.
func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestHostileTimeOffsets: interfaces with if_tsoffset of +2^62 and -2^62 seconds, and offsets that put times
// just inside int64 nanoseconds at either end (about year 2262 and 1677), used to give times that DuckDB
// could not subtract: "Overflow in subtraction of INT64 (9223372034001000000 - -9223372033998000000)" from
// stats, report and plot --by time, "Cannot subtract infinite timestamps" from sql, a failed payload preview
// from report. Their packets now have no time (null), the others keep theirs, and every command works.
func TestHostileTimeOffsets(t *testing.T) {
	ifaces := []testIface{{name: "eth0"}, {name: "future", tsoffset: 1 << 62}, {name: "past", tsoffset: -1 << 62},
		{name: "2262", tsoffset: 9223372034 - 1_700_000_000}, {name: "1677", tsoffset: -9223372034 - 1_700_000_000}}
	// Frames 1-7 cycle over interfaces 0-4: frames 1 and 6 (interface 0) keep their times.
	pkts := conversation(t, "GET / HTTP/1.0\r\n\r\n", "HTTP/1.0 200 OK\r\n\r\nhello", []uint32{0, 1, 2, 3, 4}, "")
	path := writeTemp(t, "tsoffset.pcapng", buildPcapng(ifaces, pkts))
	dir := t.TempDir()

	csvPath := filepath.Join(dir, "p.csv")
	if _, errOut, code := runCmd(t, nil, "convert", path, "-q", "-o", csvPath, "--columns", "frame,time", "--time-format", "epoch"); code != 0 {
		t.Fatalf("convert: exit %d: %s", code, errOut)
	}
	rows := readCSV(t, csvPath)
	// Hand-computed: frame i (1-based) was stamped 1700000000 s + (i-1) ms on interface (i-1) % 5.
	want := []string{"1700000000.000000000", "", "", "", "", "1700000000.005000000", ""}
	if len(rows) != 8 {
		t.Fatalf("%d CSV rows, want a header and 7", len(rows))
	}
	for i, w := range want {
		if rows[i+1][1] != w {
			t.Errorf("frame %s: time %q, want %q", rows[i+1][0], rows[i+1][1], w)
		}
	}

	out, errOut, code := runCmd(t, nil, "info", path)
	if code != 0 || !strings.Contains(out, "Times out of range:      5 packets") || !strings.Contains(out, "ts offset 4611686018427387904 s") {
		t.Errorf("info: exit %d %s\n%s", code, errOut, out)
	}
	out, errOut, code = runCmd(t, nil, "show", path, "--frame", "2")
	if code != 0 || !strings.Contains(out, "time          = none (the timestamp") {
		t.Errorf("show: exit %d %s\n%s", code, errOut, out)
	}

	for _, args := range [][]string{
		{"stats", path},
		{"stats", path, "--json"},
		{"report", path, "-q", "-o", filepath.Join(dir, "r.html")},
		{"plot", path, "--by", "time", "-q", "-o", filepath.Join(dir, "t.svg")},
		{"plot", path, "--by", "time", "--metric", "bytes", "-q", "-o", filepath.Join(dir, "t.png")},
		{"flows", path, "--format", "csv"},
		{"sql", path, "-e", "SELECT max(time) - min(time) AS d, count(time) AS n FROM packets"},
	} {
		out, errOut, code := runCmd(t, nil, args...)
		if code != 0 || strings.Contains(errOut+out, "Overflow") {
			t.Errorf("%s: exit %d\nstderr: %s\nstdout: %.2000s", strings.Join(args, " "), code, errOut, out)
		}
		if args[0] == "sql" && !strings.HasSuffix(out, ",2\n") { // 2 packets keep their time

			t.Errorf("sql: %s", out)
		}
	}
}

// hostileText holds a C1 CSI (U+009B), ESC, a bidi override and isolate, the bidi marks and a zero-width
// joiner: none may reach a terminal raw.
const hostileText = "x\u009b31m\x1b[2J\u202eevil\u2066iso\u2069\u200e\u200f\u061c\u200d"

// checkNoRaw fails if s holds a character textsafe calls unsafe (outside the line breaks and tabs that lay out
// a terminal's text) or invalid UTF-8.
func checkNoRaw(t *testing.T, what, s string) {
	t.Helper()
	for i, r := range s {
		if r == utf8.RuneError && !strings.HasPrefix(s[i:], "\ufffd") {
			t.Errorf("%s: invalid UTF-8 at byte %d", what, i)
			return
		}
		if textsafe.Unsafe(r) && r != '\n' && r != '\t' && r != '\r' {
			t.Errorf("%s: raw U+%04X at byte %d: %q", what, r, i, s[max(0, i-20):min(len(s), i+20)])
			return
		}
	}
}

// runTerm runs a command whose standard output is a terminal (as far as the command can tell).
func runTerm(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	io := &IO{In: bytes.NewReader(nil), Out: &out, ErrOut: &errOut, OutIsTerminal: true}
	root := NewRoot(io)
	root.SetArgs(args)
	code := report(&errOut, root.ExecuteContext(context.Background()))
	return out.String(), errOut.String(), code
}

// TestHostileTextEscaped: an interface name, packet comments, payloads and a file name holding C1 controls and
// bidi overrides reach no terminal raw (info, info --json, show, follow, sql and flows tables, stats, report),
// and JSON meant for a terminal writes them as \u escapes that decode to the original text.
func TestHostileTextEscaped(t *testing.T) {
	ifaces := []testIface{{name: "eth" + hostileText}}
	pkts := conversation(t, "GET /"+hostileText+" HTTP/1.0\r\nHost: "+hostileText+"\r\n\r\n", "HTTP/1.0 200 OK\r\n\r\n"+hostileText, []uint32{0}, "note "+hostileText)
	path := writeTemp(t, "cap"+"\u202e"+"gnp.pcapng", buildPcapng(ifaces, pkts))
	dir := t.TempDir()

	type run struct {
		args []string
		want string // a piece of the escaped text the output must hold ("" if the text does not appear there)
	}
	esc := `x\xc2\x9b31m\x1b[2J\xe2\x80\xaeevil`
	for _, r := range []run{
		{[]string{"info", path}, "eth" + esc},
		{[]string{"show", path, "--frame", "4"}, "note " + esc},
		{[]string{"show", path, "--frame", "4", "--hex"}, "note " + esc},
		{[]string{"follow", path, "--stream", "0"}, ""},
		{[]string{"follow", path, "--stream", "0", "--format", "hex"}, ""},
		{[]string{"follow", path, "--stream", "0", "--format", "json"}, ""},
		{[]string{"sql", path, "-e", "SELECT comment, source FROM packets"}, "note " + esc},
		{[]string{"sql", path, "-e", "SELECT comment FROM packets", "--format", "markdown"}, "note " + esc},
		{[]string{"flows", path}, ""},
		{[]string{"flows", path, "--format", "table"}, ""},
		{[]string{"stats", path}, ""},
		{[]string{"stats", path, "--json"}, ""},
		{[]string{"nosuch" + hostileText}, ""},
		{[]string{"info", filepath.Join(dir, "missing"+hostileText)}, ""},
	} {
		out, errOut, code := runTerm(t, r.args...)
		name := strings.Join(r.args, " ")
		checkNoRaw(t, name+" (stdout)", out)
		checkNoRaw(t, name+" (stderr)", errOut)
		if code != 0 && r.args[0] != "nosuch"+hostileText && !strings.HasPrefix(r.args[1], dir) {
			t.Errorf("%s: exit %d: %s", name, code, errOut)
		}
		if r.want != "" && !strings.Contains(out, r.want) {
			t.Errorf("%s: output lacks %q:\n%.3000s", name, r.want, out)
		}
	}

	// info --json: the escapes decode to the interface's name exactly.
	out, errOut, code := runTerm(t, "info", "--json", path)
	checkNoRaw(t, "info --json", out)
	if code != 0 || !strings.Contains(out, `\u009b`) || !strings.Contains(out, `\u202e`) {
		t.Fatalf("info --json: exit %d %s\n%s", code, errOut, out)
	}
	var info []capture.Info
	if err := json.Unmarshal([]byte(out), &info); err != nil || len(info) != 1 || len(info[0].Interfaces) != 1 || info[0].Interfaces[0].Name != "eth"+hostileText {
		t.Errorf("info --json does not decode to the interface name: %v %+v", err, info)
	}

	// The report: the page's text and its JSON data hold no raw bidi or C1 character.
	html := filepath.Join(dir, "r.html")
	if _, errOut, code := runCmd(t, nil, "report", path, "-q", "-o", html); code != 0 {
		t.Fatalf("report: exit %d: %s", code, errOut)
	}
	page, err := os.ReadFile(html)
	if err != nil {
		t.Fatal(err)
	}
	checkNoRaw(t, "report", string(page))
	// What the page's script shows (with textContent) is the decoded data: its strings must be escaped too.
	var walk func(where string, v any)
	walk = func(where string, v any) {
		switch x := v.(type) {
		case string:
			checkNoRaw(t, "report data "+where, x)
		case []any:
			for _, e := range x {
				walk(where, e)
			}
		case map[string]any:
			for k, e := range x {
				walk(where+"."+k, e)
			}
		}
	}
	walk("", reportData(t, html))
}

// udpFrame builds an Ethernet/IPv4/UDP frame with correct lengths and checksums.
func udpFrame(t *testing.T, src, dst string, sport, dport uint16, payload []byte) []byte {
	t.Helper()
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: net.ParseIP(src).To4(), DstIP: net.ParseIP(dst).To4()}
	udp := &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}
	if err := udp.SetNetworkLayerForChecksum(ip); err != nil {
		t.Fatal(err)
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, udp, gopacket.Payload(payload)); err != nil {
		t.Fatal(err)
	}
	return bytes.Clone(buf.Bytes())
}

// udpExchanges returns n UDP request/reply exchanges between 10.0.0.1:(40000+i) and 10.0.0.2:53 (Wireshark's
// udp.stream i), with sizes[i] bytes in the request (10 if sizes is short) and 5 in the reply.
func udpExchanges(t *testing.T, n int, sizes ...int) []testPkt {
	var pkts []testPkt
	for i := range n {
		size := 10
		if i < len(sizes) {
			size = sizes[i]
		}
		for j, f := range [][]byte{
			udpFrame(t, "10.0.0.1", "10.0.0.2", uint16(40000+i), 53, bytes.Repeat([]byte{'q'}, size)),
			udpFrame(t, "10.0.0.2", "10.0.0.1", 53, uint16(40000+i), []byte("reply")),
		} {
			pkts = append(pkts, testPkt{micros: 1_700_000_000*1_000_000 + uint64(2*i+j)*1000, data: f})
		}
	}
	return pkts
}

// TestFollowAllMaxFiles: follow --all stops creating files at --max-files, names what it left out in index.csv
// and on standard error (issue 16: 150,001 files from one capture); 0 lifts the cap; the default is 10,000.
func TestFollowAllMaxFiles(t *testing.T) {
	path := writeTemp(t, "many.pcapng", buildPcapng([]testIface{{name: "eth0"}}, udpExchanges(t, 6)))
	for _, tc := range []struct {
		max       string
		files     int // data files; index.csv comes on top
		leftFiles int
	}{{"5", 5, 7}, {"0", 12, 0}, {"12", 12, 0}, {"1", 1, 11}} {
		out := filepath.Join(t.TempDir(), "streams")
		_, errOut, code := runCmd(t, nil, "follow", path, "--all", "-o", out, "--max-files", tc.max, "-q")
		if code != 0 {
			t.Fatalf("--max-files %s: exit %d: %s", tc.max, code, errOut)
		}
		entries, _ := os.ReadDir(out)
		if len(entries) != tc.files+1 {
			t.Errorf("--max-files %s: %d entries, want %d files and index.csv", tc.max, len(entries), tc.files)
		}
		rows := readCSV(t, filepath.Join(out, "index.csv"))
		col := slicesIndex(rows[0], "left_out")
		if col < 0 || len(rows) != 7 {
			t.Fatalf("index.csv header %v, %d rows", rows[0], len(rows))
		}
		left := 0
		for _, r := range rows[1:] {
			switch r[col] {
			case "both":
				left += 2
			case "client", "server":
				left++
			case "":
			default:
				t.Errorf("left_out %q", r[col])
			}
		}
		line := "--max-files " + tc.max + " reached: " + strconv.Itoa(tc.leftFiles) + " more files"
		if left != tc.leftFiles || (tc.leftFiles > 0) != strings.Contains(errOut, line) {
			t.Errorf("--max-files %s: %d sides left out in index.csv, want %d; stderr %q", tc.max, left, tc.leftFiles, errOut)
		}
	}
	if f := NewCmdFollow(&IO{}).Flags().Lookup("max-files"); f == nil || f.DefValue != "10000" {
		t.Errorf("--max-files default: %v", f)
	}
	if _, _, code := runCmd(t, nil, "follow", path, "--all", "-o", t.TempDir(), "--max-files", "-1"); code != ExitUsage {
		t.Errorf("--max-files -1: exit %d, want %d", code, ExitUsage)
	}
}

func slicesIndex(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

// TestFollowAllCleanupOnError: when writing a stream's file fails part-way through the extraction (here the
// name is taken by a directory; a full disk fails the same write), follow --all exits 1 and leaves none of the
// files it created, and no index.csv (issue 16: 256 partial files were left).
func TestFollowAllCleanupOnError(t *testing.T) {
	// Conversation 0's request is two 40,000-byte datagrams: its file is created mid-run, before the failure.
	pkts := udpExchanges(t, 6, 40000)
	pkts = append(pkts[:1], append([]testPkt{pkts[0]}, pkts[1:]...)...)
	path := writeTemp(t, "fail.pcapng", buildPcapng([]testIface{{name: "eth0"}}, pkts))
	out := t.TempDir()
	blocked := stream.FileName("udp", 5, netip.MustParseAddrPort("10.0.0.1:40005"), netip.MustParseAddrPort("10.0.0.2:53"), stream.Client)
	if err := os.Mkdir(filepath.Join(out, blocked), 0o755); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := runCmd(t, nil, "follow", path, "--all", "-o", out, "-q")
	if code != ExitError || !strings.Contains(errOut, "not a regular file") {
		t.Fatalf("exit %d, stderr %q; want exit %d naming the blocked file", code, errOut, ExitError)
	}
	entries, _ := os.ReadDir(out)
	if len(entries) != 1 || entries[0].Name() != blocked {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("left in the output directory: %v; want only the directory that blocked the write", names)
	}
	// Without the obstacle the same capture extracts (so the files above were really created and removed).
	if err := os.Remove(filepath.Join(out, blocked)); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := runCmd(t, nil, "follow", path, "--all", "-o", out, "-q"); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 13 {
		t.Errorf("%d entries, want 12 files and index.csv", len(entries))
	}
}

// TestConvertCSVFormulaPayload: a payload whose base64 is +A1+A1+A (a formula to a spreadsheet) and a comment
// starting with = are neutralised in CSV by a leading quote; the base64 still decodes once the quote is off.
func TestConvertCSVFormulaPayload(t *testing.T) {
	payload, err := base64.StdEncoding.DecodeString("+A1+A1+A")
	if err != nil {
		t.Fatal(err)
	}
	pkts := []testPkt{{micros: 1_700_000_000 * 1_000_000, data: udpFrame(t, "10.0.0.1", "10.0.0.2", 40000, 53, payload), comment: "=HYPERLINK(\"x\")"}}
	path := writeTemp(t, "formula.pcapng", buildPcapng([]testIface{{name: "eth0"}}, pkts))
	csvPath := filepath.Join(t.TempDir(), "p.csv")
	if _, errOut, code := runCmd(t, nil, "convert", path, "-q", "-o", csvPath, "--columns", "frame,comment,payload_raw,sport"); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	rows := readCSV(t, csvPath)
	if len(rows) != 2 || rows[1][1] != `'=HYPERLINK("x")` || rows[1][2] != "'+A1+A1+A" || rows[1][3] != "40000" {
		t.Fatalf("rows %q", rows)
	}
	if b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(rows[1][2], "'")); err != nil || !bytes.Equal(b, payload) {
		t.Errorf("payload_raw reads back as %x (%v)", b, err)
	}
}
