package capture

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
)

// corpusCases pins what the reader must report for a curated set of real
// captures. Packet counts equal MANIFEST.tsv's and tshark's; times were
// checked against `tshark -T fields -e frame.time_epoch`.
var corpusCases = []struct {
	name        string
	format      Format
	compression Compression
	packets     int
	err         error    // sentinel expected after the packets, nil for a clean end
	linkTypes   []uint32 // distinct record link types, in order of appearance
	firstTime   int64    // Time of frame 1 (Unix ns)
	bigEndian   bool
}{
	{"arkime__gre-erspan-vxlan.pcap", FormatPcap, "", 7, nil, []uint32{1}, 1652950005864136000, false},
	{"chrissanders__3e80211_wpaauth.pcapng", FormatPcapng, "", 12, nil, []uint32{127}, 1462386841034384000, false},
	{"chrissanders__dns_axfr.pcapng", FormatPcapng, "", 11, nil, []uint32{1}, 0, false},
	{"gopacket__pcapgo_tests_be_test202.pcapng", FormatPcapng, "", 8, nil, []uint32{1, 0}, 1340954905298858000, true},
	{"gopacket__pcapgo_tests_le_test002.pcapng", FormatPcapng, "", 0, nil, nil, 0, false},
	{"gopacket__pcapgo_tests_le_test006.pcapng", FormatPcapng, "", 5, nil, []uint32{1, 0}, 0, false},
	{"gopacket__pcapgo_tests_le_test010.pcapng", FormatPcapng, "", 4, nil, []uint32{1}, 0, false},
	{"gopacket__pcapgo_tests_le_test100.pcapng", FormatPcapng, "", 5, nil, []uint32{1, 0}, 0, false},
	{"gopacket__pcapgo_tests_le_test901.pcapng", FormatPcapng, "", 1, ErrUnsupported, []uint32{1}, 1340954905298858000, false},
	{"libpcap__pcap-invalid-version-1.pcap", "", "", 0, ErrUnsupported, nil, 0, false},
	{"libpcap__shb-option-too-long.pcapng", "", "", 0, ErrCorrupt, nil, 0, false},
	{"ndpi__fuzz-2021-10-13.pcap", FormatPcapNsec, "", 1, ErrTruncated, []uint32{0}, 980658802*1e9 + 1882137472, false},
	{"ndpi__tcp_scan.pcapng", FormatPcap, "", 30, nil, []uint32{1}, 1674583448287506000, false},
	{"pcap-parser__modified-format.pcap", FormatPcapModified, "", 1, nil, []uint32{1}, 1712763541734807000, false},
	{"pcapplusplus__Packet__Test_PacketExamples_ipv6_options.pcap", FormatPcapng, "", 6, nil, []uint32{1}, 0, false},
	{"pcapplusplus__Pcap__Test_PcapExamples_file_heuristics_pcapng-example.pcapng.zst", FormatPcapng, CompressionZstd, 159, nil, []uint32{1, 113}, 1422527998578402281, false},
	{"pcapplusplus__Pcap__Test_PcapExamples_many_interfaces-1.pcapng", FormatPcapng, "", 64, nil, []uint32{1, 0}, 1439753725701607000, false},
	{"pcapplusplus__Pcap__Test_PcapExamples_microsecs_big_endian.pcap", FormatPcap, "", 13, nil, []uint32{253}, 1474059824864984000, true},
	{"pcapplusplus__Pcap__Test_PcapExamples_nanosecs_big_endian.pcap", FormatPcapNsec, "", 10, nil, []uint32{1}, 1766361926167647291, true},
	{"pcapplusplus__Pcap__Test_PcapExamples_null_loopback.pcap", FormatPcap, "", 3, nil, []uint32{0}, 0, false},
	{"pcapplusplus__Pcap__Test_PcapExamples_solaris.snoop", "", "", 0, ErrUnsupported, nil, 0, true},
	{"pcapplusplus__Pcap__Test_PcapExamples_sll2.pcap", FormatPcap, "", 3, nil, []uint32{276}, 0, false},
	{"suricata-verify__bug-1450-04_tls_DER-incomplete-header.pcap", FormatPcap, "", 6, ErrCorrupt, []uint32{1}, 0, false},
	// tshark reads 2 records here only because Wireshark guesses a
	// non-standard pcap variant for damaged files; libpcap stops after 1.
	{"suricata-verify__bug-6875-01_fuzz.pcap", FormatPcap, "", 1, ErrCorrupt, []uint32{1}, 0, false},
	{"tcpdump__empty.pcap", FormatPcap, "", 0, nil, nil, 0, false},
	{"tcpdump__empty.pcapng", FormatPcapng, "", 0, nil, nil, 0, false},
	{"tcpdump__heapoverflow-tcp_print.pcap", FormatPcap, "", 1, nil, []uint32{1}, 808464432999999000, false},
	{"tcpdump__tcp-handshake-nano.pcap", FormatPcapNsec, "", 3, nil, []uint32{113}, 1418145369924505488, false},
	{"tcpdump__time_2038.pcap", FormatPcap, "", 1, nil, []uint32{1}, 2145916800 * 1e9, false},
	{"tcpdump__time_2106_overflow.pcapng", FormatPcapng, "", 1, nil, []uint32{1}, 4294967296 * 1e9, false},
	{"tcpdump__timestamp_invalid_micro.pcap", FormatPcap, "", 3, nil, []uint32{113}, 1418145369999999000, false},
	{"tcpdump__ppp_ip_udp_dns.pcap", FormatPcap, "", 1, nil, []uint32{50}, 0, false},
	{"zeek__contentline_telnet-long-line-no-eol.pcapng.gz", FormatPcapng, CompressionGzip, 13987, nil, []uint32{1}, 0, false},
	{"zeek__http_iso-download.pcap.gz", FormatPcap, CompressionGzip, 289, nil, []uint32{1}, 1708505656503033000, false},
	{"zeek__pcapng-multi-interface.pcapng", FormatPcapng, "", 6, nil, []uint32{1}, 1767663089500330493, false},
	{"seed__find_the_image.pcap", FormatPcap, "", 3641, nil, []uint32{1}, 0, false},
}

func TestCorpus(t *testing.T) {
	for _, tc := range corpusCases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Open(testFile(tc.name))
			var recs []rec
			if err == nil {
				defer r.Close()
				if got := r.Format(); got != tc.format {
					t.Errorf("Format() = %q, want %q", got, tc.format)
				}
				if got := r.Compression(); got != tc.compression {
					t.Errorf("Compression() = %q, want %q", got, tc.compression)
				}
				recs, err = readAll(t, r)
			}
			if len(recs) != tc.packets {
				t.Errorf("read %d records, want %d", len(recs), tc.packets)
			}
			switch {
			case tc.err == nil && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.err != nil && !errors.Is(err, tc.err):
				t.Fatalf("error = %v, want %v", err, tc.err)
			case err != nil:
				e := asError(t, err)
				if e.Frame != int64(tc.packets) && !errors.Is(err, ErrUnsupported) {
					t.Errorf("Error.Frame = %d, want %d", e.Frame, tc.packets)
				}
				checkMessage(t, err, tc.name)
			}
			var lts []uint32
			for i, x := range recs {
				if !slices.Contains(lts, x.LinkType) {
					lts = append(lts, x.LinkType)
				}
				if i > 0 && x.Offset <= recs[i-1].Offset {
					t.Errorf("frame %d: offset %d not after %d", x.Frame, x.Offset, recs[i-1].Offset)
				}
				if i > 0 && x.Frame <= recs[i-1].Frame {
					t.Errorf("frame numbers not increasing: %d after %d", x.Frame, recs[i-1].Frame)
				}
			}
			if !slices.Equal(lts, tc.linkTypes) {
				t.Errorf("link types %v, want %v", lts, tc.linkTypes)
			}
			if tc.firstTime != 0 && len(recs) > 0 && recs[0].Time != tc.firstTime {
				t.Errorf("frame 1 time %d, want %d", recs[0].Time, tc.firstTime)
			}
		})
	}
}

// checkMessage asserts the error-message conventions: one lowercase line
// that names the file and, for positioned errors, the offset and frames read.
func checkMessage(t *testing.T, err error, name string) {
	t.Helper()
	msg := err.Error()
	if strings.ContainsAny(msg, "\n\r") {
		t.Errorf("message has several lines: %q", msg)
	}
	if !strings.Contains(msg, name) {
		t.Errorf("message does not name the file: %q", msg)
	}
	rest := msg[strings.Index(msg, name)+len(name):]
	if rest != strings.ToLower(rest) && !strings.Contains(rest, "editcap -F") {
		t.Errorf("message is not lowercase: %q", msg)
	}
	if !strings.Contains(msg, "offset ") {
		t.Errorf("message names no offset: %q", msg)
	}
	if !errors.Is(err, ErrNotCapture) && !strings.Contains(msg, " read before it") {
		t.Errorf("message does not say how many frames were read: %q", msg)
	}
}

// TestManifest checks the packet count of every capture in testdata/pcaps
// against MANIFEST.tsv's packets column (taken from tshark).
func TestManifest(t *testing.T) {
	f, err := os.Open(testFile("MANIFEST.tsv"))
	if err != nil {
		t.Fatalf("no manifest: %v", err)
	}
	defer f.Close()
	// Files where we knowingly differ from the manifest (tshark).
	known := map[string]struct {
		packets int
		why     string
	}{
		"suricata-verify__bug-6875-01_fuzz.pcap":              {1, "wireshark guesses a non-standard pcap variant for this damaged file; libpcap reads 1"},
		"pcapplusplus__Pcap__Test_PcapExamples_solaris.snoop": {0, "snoop is not supported"},
	}
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	checked := 0
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 8 {
			continue
		}
		name := cols[0]
		if _, err := os.Stat(testFile(name)); err != nil {
			continue
		}
		field, _, _ := strings.Cut(cols[7], " ")
		want, err := strconv.Atoi(field)
		if err != nil {
			t.Fatalf("%s: bad packets column %q", name, cols[7])
		}
		stopsEarly := strings.Contains(cols[7], "before error")
		if k, ok := known[name]; ok {
			want = k.packets
			stopsEarly = true
		}
		checked++
		t.Run(name, func(t *testing.T) {
			var recs []rec
			r, err := Open(testFile(name))
			if err == nil {
				recs, err = readAll(t, r)
				r.Close()
			}
			if len(recs) != want {
				t.Errorf("read %d packets, manifest says %s", len(recs), cols[7])
			}
			if stopsEarly != (err != nil) {
				t.Errorf("error = %v, manifest packets %q", err, cols[7])
			}
			if err != nil {
				checkMessage(t, err, name)
			}
		})
	}
	if checked == 0 {
		t.Fatal("no capture of MANIFEST.tsv is in testdata/pcaps")
	}
}

func TestDetectByContentNotName(t *testing.T) {
	// ndpi__tcp_scan.pcapng is a pcap file; ..._ipv6_options.pcap is pcapng.
	for name, want := range map[string]Format{
		"ndpi__tcp_scan.pcapng": FormatPcap,
		"pcapplusplus__Packet__Test_PacketExamples_ipv6_options.pcap": FormatPcapng,
	} {
		r, err := NewReader(bytes.NewReader(readTestFile(t, name)), "x.bin")
		if err != nil {
			t.Fatal(err)
		}
		if r.Format() != want {
			t.Errorf("%s: format %q, want %q", name, r.Format(), want)
		}
	}
}

func TestCompressedVariants(t *testing.T) {
	for _, name := range []string{
		"arkime__gre-erspan-vxlan.pcap",
		"pcapplusplus__Pcap__Test_PcapExamples_nanosecs_big_endian.pcap",
		"pcapplusplus__Pcap__Test_PcapExamples_many_interfaces-1.pcapng",
		"gopacket__pcapgo_tests_be_test202.pcapng",
		"seed__find_the_image.pcap",
	} {
		raw := readTestFile(t, name)
		_, want, err := readBytes(t, name, raw)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			comp Compression
			data []byte
		}{{CompressionGzip, gzipBytes(t, raw)}, {CompressionZstd, zstdBytes(t, raw)}} {
			t.Run(name+"/"+string(c.comp), func(t *testing.T) {
				r, got, err := readBytes(t, name, c.data)
				if err != nil {
					t.Fatal(err)
				}
				if r.Compression() != c.comp {
					t.Errorf("Compression() = %q, want %q", r.Compression(), c.comp)
				}
				if !equalRecs(t, got, want) {
					t.Errorf("records differ from the uncompressed file")
				}
			})
		}
	}
}

func equalRecs(t *testing.T, got, want []rec) bool {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%d records, want %d", len(got), len(want))
		return false
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Frame != w.Frame || g.Offset != w.Offset || g.Time != w.Time || g.CapLen != w.CapLen || g.WireLen != w.WireLen ||
			g.LinkType != w.LinkType || g.Interface != w.Interface || g.Section != w.Section || g.Comment != w.Comment || !bytes.Equal(g.Data, w.Data) {
			t.Errorf("record %d: got %+v, want %+v", i, g, w)
			return false
		}
	}
	return true
}

// TestStreamingReaders reads through readers that return short reads, one
// byte at a time, or data with EOF, as pipes and stdin do.
func TestStreamingReaders(t *testing.T) {
	for _, name := range []string{
		"pcapplusplus__Pcap__Test_PcapExamples_many_interfaces-1.pcapng",
		"tcpdump__tcp-handshake-nano.pcap",
		"zeek__http_iso-download.pcap.gz",
		"pcapplusplus__Pcap__Test_PcapExamples_file_heuristics_pcapng-example.pcapng.zst",
	} {
		raw := readTestFile(t, name)
		_, want, err := readBytes(t, name, raw)
		if err != nil {
			t.Fatal(err)
		}
		for wrap, fn := range map[string]func(io.Reader) io.Reader{
			"onebyte": iotest.OneByteReader,
			"half":    iotest.HalfReader,
			"dataerr": iotest.DataErrReader,
		} {
			t.Run(name+"/"+wrap, func(t *testing.T) {
				r, err := NewReader(fn(bytes.NewReader(raw)), "-")
				if err != nil {
					t.Fatal(err)
				}
				got, err := readAll(t, r)
				if err != nil {
					t.Fatal(err)
				}
				equalRecs(t, got, want)
			})
		}
	}
}

func TestOpenStdin(t *testing.T) {
	raw := readTestFile(t, "zeek__http_iso-download.pcap.gz")
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		pw.Write(raw)
		pw.Close()
	}()
	old := os.Stdin
	os.Stdin = pr
	defer func() { os.Stdin = old; pr.Close() }()
	r, err := Open("-")
	if err != nil {
		t.Fatal(err)
	}
	recs, err := readAll(t, r)
	if err != nil || len(recs) != 289 {
		t.Fatalf("read %d records, err %v; want 289", len(recs), err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	x, _ := r.Next()
	if x != nil {
		t.Error("Next after Close returned a record")
	}
	if _, err := pr.Stat(); err != nil {
		t.Errorf("Close closed stdin: %v", err)
	}
}

func TestPerInterfaceLinkTypes(t *testing.T) {
	r, err := Open(testFile("pcapplusplus__Pcap__Test_PcapExamples_many_interfaces-1.pcapng"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	recs, err := readAll(t, r)
	if err != nil {
		t.Fatal(err)
	}
	ifs := r.Interfaces()
	if len(ifs) != 11 {
		t.Fatalf("%d interfaces, want 11", len(ifs))
	}
	wantLT := []uint32{1, 1, 1, 1, 0, 1, 1, 1, 12, 1, 0}
	for i, ifc := range ifs {
		if ifc.Index != i || ifc.Section != 0 || ifc.LinkType != wantLT[i] || ifc.TSResolution != "1e-6" || ifc.SnapLen != 262144 || ifc.Name == "" {
			t.Errorf("interface %d = %+v", i, ifc)
		}
	}
	seen := map[int]bool{}
	for _, x := range recs {
		if x.LinkType != ifs[x.Interface].LinkType {
			t.Errorf("frame %d on interface %d has link type %d, interface has %d", x.Frame, x.Interface, x.LinkType, ifs[x.Interface].LinkType)
		}
		seen[x.Interface] = true
	}
	if !seen[0] || !seen[10] { // tshark: 62 frames on interface 0, 2 on 10
		t.Errorf("records on interfaces %v, want 0 and 10", seen)
	}
}

func TestSectionsAndByteOrder(t *testing.T) {
	// be_test202: three sections, big-, little-, then big-endian.
	r, err := Open(testFile("gopacket__pcapgo_tests_be_test202.pcapng"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	recs, err := readAll(t, r)
	if err != nil {
		t.Fatal(err)
	}
	secs := r.Sections()
	if len(secs) != 3 || !secs[0].BigEndian || secs[1].BigEndian || !secs[2].BigEndian {
		t.Fatalf("sections %+v", secs)
	}
	// Wireshark numbers the custom blocks (frames 1, 7, 10) too.
	var frames []int64
	var sections []int
	for _, x := range recs {
		frames = append(frames, x.Frame)
		sections = append(sections, x.Section)
	}
	if want := []int64{2, 3, 4, 5, 6, 8, 9, 11}; !slices.Equal(frames, want) {
		t.Errorf("frames %v, want %v", frames, want)
	}
	if want := []int{0, 0, 0, 1, 1, 1, 1, 2}; !slices.Equal(sections, want) {
		t.Errorf("sections %v, want %v", sections, want)
	}
	// Frame 5 is a simple packet block: no timestamp (the frame before's time is kept), cut to the snap length.
	if x := recs[3]; !x.NoTime || x.Time != recs[2].Time || x.CapLen != 128 || x.WireLen != 314 || recs[2].NoTime {
		t.Errorf("simple packet block record %+v", x)
	}
	ifs := r.Interfaces()
	if len(ifs) != 5 || ifs[2].Section != 1 || ifs[2].Index != 0 || ifs[4].Section != 2 || ifs[4].Index != 1 {
		t.Errorf("interfaces %+v", ifs)
	}
}

func TestPcapInterface(t *testing.T) {
	r, err := Open(testFile("tcpdump__tcp-handshake-nano.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ifs := r.Interfaces()
	if len(ifs) != 1 || ifs[0].LinkType != 113 || ifs[0].TSResolution != "1e-9" || ifs[0].SnapLen != 262144 {
		t.Errorf("interfaces %+v", ifs)
	}
	if r.Sections() != nil {
		t.Errorf("pcap has sections")
	}
}

func TestNanosecondTimesExact(t *testing.T) {
	want := []int64{1418145369924505488, 1418145370052027262, 1418145370052115157}
	r, err := Open(testFile("tcpdump__tcp-handshake-nano.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	recs, err := readAll(t, r)
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range recs {
		if x.Time != want[i] {
			t.Errorf("frame %d time %d, want %d", x.Frame, x.Time, want[i])
		}
	}
}

func TestPcapVariants(t *testing.T) {
	le, be := binary.LittleEndian, binary.BigEndian
	data := []byte{1, 2, 3, 4, 5, 6}
	tests := []struct {
		name      string
		file      []byte
		format    Format
		time      int64
		cap, wire int
		lt        uint32
		err       error
	}{
		{"usec le", pcapFile(le, 0xa1b2c3d4, 2, 4, 1, pcapRec(le, 10, 5, 6, 60, data)), FormatPcap, 10e9 + 5000, 6, 60, 1, nil},
		{"usec be", pcapFile(be, 0xa1b2c3d4, 2, 4, 1, pcapRec(be, 10, 5, 6, 60, data)), FormatPcap, 10e9 + 5000, 6, 60, 1, nil},
		{"nsec le", pcapFile(le, 0xa1b23c4d, 2, 4, 101, pcapRec(le, 10, 5, 6, 60, data)), FormatPcapNsec, 10e9 + 5, 6, 60, 101, nil},
		{"nsec be", pcapFile(be, 0xa1b23c4d, 2, 4, 101, pcapRec(be, 10, 5, 6, 60, data)), FormatPcapNsec, 10e9 + 5, 6, 60, 101, nil},
		{"upper link-type bits masked", pcapFile(le, 0xa1b2c3d4, 2, 4, 0x40000000|105, pcapRec(le, 1, 0, 6, 6, data)), FormatPcap, 1e9, 6, 6, 105, nil},
		{"2.2 lengths swapped", pcapFile(le, 0xa1b2c3d4, 2, 2, 1, pcapRec(le, 1, 0, 60, 6, data)), FormatPcap, 1e9, 6, 60, 1, nil},
		{"2.3 swapped when caplen > len", pcapFile(le, 0xa1b2c3d4, 2, 3, 1, pcapRec(le, 1, 0, 60, 6, data)), FormatPcap, 1e9, 6, 60, 1, nil},
		{"2.3 not swapped", pcapFile(le, 0xa1b2c3d4, 2, 3, 1, pcapRec(le, 1, 0, 6, 60, data)), FormatPcap, 1e9, 6, 60, 1, nil},
		{"caplen > wirelen kept", pcapFile(le, 0xa1b2c3d4, 2, 4, 1, pcapRec(le, 1, 0, 6, 2, data)), FormatPcap, 1e9, 6, 2, 1, nil},
		{"ts_sec is unsigned (2106)", pcapFile(le, 0xa1b2c3d4, 2, 4, 1, pcapRec(le, 0xffffffff, 999999, 6, 6, data)), FormatPcap, 0xffffffff*1e9 + 999999000, 6, 6, 1, nil},
		{"version 1.0", pcapFile(le, 0xa1b2c3d4, 1, 0, 1), "", 0, 0, 0, 0, ErrUnsupported},
		{"version 3.0", pcapFile(le, 0xa1b2c3d4, 3, 0, 1), "", 0, 0, 0, 0, ErrUnsupported},
		{"caplen over limit", pcapFile(le, 0xa1b2c3d4, 2, 4, 1, pcapRec(le, 1, 0, MaxCapLen+1, 70000, data)), FormatPcap, 0, 0, 0, 0, ErrCorrupt},
		{"huge caplen", pcapFile(le, 0xa1b2c3d4, 2, 4, 1, pcapRec(le, 1, 0, 0xffffffff, 0xffffffff, data)), FormatPcap, 0, 0, 0, 0, ErrCorrupt},
		{"dbus allows big records", pcapFile(le, 0xa1b2c3d4, 2, 4, 231, pcapRec(le, 1, 0, 300000, 300000, data)), FormatPcap, 0, 0, 0, 0, ErrTruncated},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, recs, err := readBytes(t, "x.pcap", tc.file)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("error %v, want %v", err, tc.err)
				}
				checkMessage(t, err, "x.pcap")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Format() != tc.format || len(recs) != 1 {
				t.Fatalf("format %q, %d records", r.Format(), len(recs))
			}
			x := recs[0]
			if x.Time != tc.time || x.CapLen != tc.cap || x.WireLen != tc.wire || x.LinkType != tc.lt || x.Offset != 24 || x.Frame != 1 {
				t.Errorf("record %+v", x)
			}
		})
	}
}

func TestPcapModified(t *testing.T) {
	r, recs, err := readBytes(t, "m.pcap", readTestFile(t, "pcap-parser__modified-format.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Format() != FormatPcapModified || len(recs) != 1 || recs[0].CapLen != 98 || recs[0].Offset != 24 {
		t.Fatalf("format %q records %+v", r.Format(), recs)
	}
	// The 24-byte record header leaves the Ethernet frame intact.
	if d := recs[0].Data; len(d) != 98 || binary.BigEndian.Uint16(d[12:]) != 0x0800 {
		t.Errorf("frame does not look like Ethernet/IPv4: % x", d[:16])
	}
}

func TestErrorMessages(t *testing.T) {
	le := binary.LittleEndian
	one := pcapFile(le, 0xa1b2c3d4, 2, 4, 1, pcapRec(le, 1, 0, 4, 4, []byte{1, 2, 3, 4}))
	tests := []struct {
		name string
		data []byte
		want string
		kind error
	}{
		{"unknown magic", []byte{0x12, 0x34, 0x56, 0x78, 0, 0, 0, 0}, "x.bin: not a capture file (unknown magic 0x12345678 at offset 0)", ErrNotCapture},
		{"empty", nil, "x.bin: not a capture file (empty file)", ErrNotCapture},
		{"short", []byte{1, 2}, "x.bin: not a capture file (only 2 bytes)", ErrNotCapture},
		{"short pcap header", one[:20], "x.bin: not a capture file (pcap header truncated: 20 of 24 bytes at offset 0)", ErrNotCapture},
		{"truncated record", append(slices.Clone(one), pcapRec(le, 1, 0, 1514, 1514, make([]byte, 200))...),
			"x.bin: offset 44: truncated record (frame 2 header says 1514 bytes, 200 present); 1 frame read before it", ErrTruncated},
		{"truncated header", append(slices.Clone(one), 1, 2, 3),
			"x.bin: offset 44: truncated record header (frame 2: 3 of 16 bytes present); 1 frame read before it", ErrTruncated},
		{"too big", append(slices.Clone(one), pcapRec(le, 1, 0, 1<<20, 1<<20, nil)...),
			"x.bin: offset 44: record length 1048576 exceeds the maximum of 262144 for link type 1 (frame 2); 1 frame read before it", ErrCorrupt},
		{"snoop", []byte("snoop\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x04"), "x.bin: offset 0: snoop format is not supported (convert it with editcap -F pcap); 0 frames read before it", ErrUnsupported},
		{"bzip2", []byte("BZh91AY&SY"), "x.bin: offset 0: bzip2-compressed input is not supported (use gzip or zstd, or decompress it first); 0 frames read before it", ErrUnsupported},
		{"gzip truncated record", gzipBytes(t, append(slices.Clone(one), pcapRec(le, 1, 0, 1514, 1514, make([]byte, 200))...)),
			"x.bin: offset 44 (decompressed): truncated record (frame 2 header says 1514 bytes, 200 present); 1 frame read before it", ErrTruncated},
		{"gzip not a capture", gzipBytes(t, []byte("hello, world")), "x.bin: not a capture file (unknown magic 0x68656c6c at offset 0 of the gzip-decompressed stream)", ErrNotCapture},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := readBytes(t, "x.bin", tc.data)
			if err == nil {
				t.Fatal("no error")
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("message\n got %q\nwant %q", got, tc.want)
			}
			if !errors.Is(err, tc.kind) {
				t.Errorf("errors.Is(%v) = false", tc.kind)
			}
			e := asError(t, err)
			if e.Truncated != (tc.kind == ErrTruncated || strings.Contains(tc.want, "truncated")) {
				t.Errorf("Truncated = %v", e.Truncated)
			}
		})
	}
}

func TestCompressedTruncation(t *testing.T) {
	raw := readTestFile(t, "pcapplusplus__Pcap__Test_PcapExamples_many_interfaces-1.pcapng")
	_, full, _ := readBytes(t, "f", raw)
	for _, c := range []struct {
		name string
		data []byte
	}{{"gzip", gzipBytes(t, raw)}, {"zstd", zstdBytes(t, raw)}} {
		t.Run(c.name, func(t *testing.T) {
			for cut := 0; cut < len(c.data); cut += 1 + cut/8 {
				r, recs, err := readBytes(t, "f", c.data[:cut])
				if err == nil {
					t.Fatalf("cut at %d of %d: no error", cut, len(c.data))
				}
				if r != nil && !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrCorrupt) {
					t.Fatalf("cut at %d: error %v", cut, err)
				}
				if len(recs) > len(full) || !equalRecs(t, recs, full[:len(recs)]) {
					t.Fatalf("cut at %d: records are not a prefix", cut)
				}
			}
		})
	}
}

func TestCorruptGzip(t *testing.T) {
	z := gzipBytes(t, readTestFile(t, "seed__find_the_image.pcap"))
	z[len(z)/2] ^= 0xff
	z[len(z)/2+1] ^= 0x55
	_, recs, err := readBytes(t, "c.pcap.gz", z)
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("error %v, want ErrCorrupt", err)
	}
	if len(recs) == 0 || !asError(t, err).Decompressed {
		t.Errorf("%d records before the damage; %v", len(recs), err)
	}
	checkMessage(t, err, "c.pcap.gz")
}

func TestZstdWindowLimit(t *testing.T) {
	// A frame header asking for a 2 GiB window (window descriptor exponent
	// 21 -> 2^31) must be refused without allocating it.
	frame := []byte{0x28, 0xb5, 0x2f, 0xfd, 0x00, 21 << 3, 0, 0, 0, 0, 0, 0}
	_, _, err := readBytes(t, "w.zst", frame)
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "window") {
		t.Fatalf("error %v, want ErrUnsupported naming the window", err)
	}
}

func TestTruncatedCompressedHeader(t *testing.T) {
	z := gzipBytes(t, readTestFile(t, "tcpdump__tcp-handshake-nano.pcap"))
	for _, cut := range []int{2, 10, 12, 15} {
		_, _, err := readBytes(t, "t.gz", z[:cut])
		if !errors.Is(err, ErrTruncated) || !asError(t, err).Truncated {
			t.Errorf("cut %d: %v", cut, err)
		}
	}
	_, _, err := readBytes(t, "e.gz", gzipBytes(t, nil))
	if !errors.Is(err, ErrNotCapture) || err.Error() != "e.gz: not a capture file (the gzip stream decompresses to nothing)" {
		t.Errorf("empty gzip: %v", err)
	}
}

func TestNsTime(t *testing.T) {
	// Hand-computed: MaxTime is 2^62 - 1 ns = 4611686018 s + 427387903 ns.
	tests := []struct {
		secs, ns uint64
		off      int64
		want     int64
		ok       bool
	}{
		{0, 0, 0, 0, true},
		{1, 5, 0, 1e9 + 5, true},
		{4294967296, 0, 0, 4294967296e9, true}, // 2106: valid
		{4611686018, 427387903, 0, 1<<62 - 1, true},
		{4611686018, 427387904, 0, 0, false},
		{4611686019, 0, 0, 0, false},
		{10, 0, -20, 0, false}, // before 1970
		{10, 0, -10, 0, true},
		{1 << 62, 7, -(1 << 62) + 3, 3e9 + 7, true}, // huge seconds brought back by a huge negative offset
		{math.MaxUint64, 0, 0, 0, false},
		{math.MaxUint64, 0, math.MaxInt64, 0, false}, // the sum wraps uint64
		{math.MaxUint64, 0, math.MinInt64, 0, false}, // 2^63 - 1 seconds: still too late
		{0, 0, math.MinInt64, 0, false},
		{5, 0, math.MaxInt64, 0, false},
		{5, 0, 1 << 62, 0, false},
		{1 << 62, 0, -(1 << 62), 0, true},
		{5, 0, -(1 << 62), 0, false},
		{0, 1e9, 0, 0, false}, // not a valid nanosecond field
	}
	for _, tc := range tests {
		if got, ok := nsTime(tc.secs, tc.ns, tc.off); got != tc.want || ok != tc.ok {
			t.Errorf("nsTime(%d, %d, %d) = %d, %v; want %d, %v", tc.secs, tc.ns, tc.off, got, ok, tc.want, tc.ok)
		}
	}
}
