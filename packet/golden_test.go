package packet_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pcapframe/pcapframe/capture"
	"github.com/pcapframe/pcapframe/packet"
	"github.com/pcapframe/pcapframe/pipeline"
)

// The golden files in testdata/golden/packets are tshark's dissection of every capture in testdata/pcaps
// (scripts/golden-packets.sh). This test decodes each capture and compares it with tshark frame by frame, with
// the conventions of ../shared/tools/compare-tshark: IP columns describe the outermost IP header, transport
// columns the header after it; frames with a second IP header (tunnels, ICMP errors) are compared on the IP
// columns only.

const goldenDir = "../testdata/golden/packets"

// goldenAllow lists deliberate, documented differences from tshark: capture/column → reason. Every entry must
// be explained in docs/DESIGN.md ("Differences from tshark").
var goldenAllow = map[string]string{
	// The record's nanosecond field is 1882137472 (over 10^9); tshark prints it as it stands, pcapframe carries
	// the whole seconds into the seconds, so both name the same instant.
	"ndpi__fuzz-2021-10-13.pcap/time": "nanoseconds >= 1e9 carried into seconds",
	// The second record header is corrupt (a 1.4 GB length). tshark recovers a 1-byte frame from it by its
	// heuristics and then reports the damage; pcapframe stops at the corrupt header and reports it.
	"suricata-verify__bug-6875-01_fuzz.pcap/frames": "corrupt record header ends the read",
	// Same as above with microseconds >= 1e6 (1000000 and 2147483648).
	"tcpdump__timestamp_invalid_micro.pcap/time": "microseconds >= 1e6 carried into seconds",
	// The IPv4 header is cut after 6 bytes: tshark still shows its total-length field; pcapframe records no
	// IP columns for an IPv4 header shorter than 20 bytes and notes it as malformed or truncated.
	"zeek__trunc_ip4-trunc.pcap/len": "ipv4 header shorter than 20 bytes is not decoded",
	// Wireshark numbers pcapng custom blocks as frames (data of the block's length). They are not packets:
	// pcapframe's frame column skips their numbers, so the packets keep Wireshark's frame numbers, but they
	// get no row.
	"gopacket__pcapgo_tests_be_test202.pcapng/frames": "custom blocks numbered but not rows",
	// One interface's packets are timestamped in the year 586524, beyond what a nanosecond int64 (the Parquet
	// and DuckDB timestamp) can hold: pcapframe saturates at 2262-04-11T23:47:16.854775807Z; tshark's 64-bit
	// arithmetic wraps around to a different wrong value.
	"pcapplusplus__Pcap__Test_PcapExamples_pcapng-example.pcapng/time":                     "timestamps beyond 2262 saturate",
	"pcapplusplus__Pcap__Test_PcapExamples_file_heuristics_pcapng-example.pcapng.zst/time": "timestamps beyond 2262 saturate",
	// Link type 204 (PPP with a direction byte): Wireshark moves the direction byte into a pseudo-header and leaves
	// it out of the frame's lengths; pcapframe's lengths are the record's.
	"pcapframe__linktypes.pcapng/caplen":  "ppp direction byte counted in the record's lengths",
	"pcapframe__linktypes.pcapng/wirelen": "ppp direction byte counted in the record's lengths",
	// Solaris snoop is not one of the supported formats: pcapframe refuses it with a message naming the format
	// and suggesting editcap.
	"pcapplusplus__Pcap__Test_PcapExamples_solaris.snoop/frames": "snoop format not supported",
}

func TestGoldenTshark(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(goldenDir, "*.tsv"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files in %s (run scripts/golden-packets.sh)", goldenDir)
	}
	total := 0
	for _, gf := range files {
		name := strings.TrimSuffix(filepath.Base(gf), ".tsv")
		t.Run(name, func(t *testing.T) {
			want := readGolden(t, gf)
			got, err := decodeAll(filepath.Join("../testdata/pcaps", name))
			if err != nil {
				t.Logf("read stopped: %v", err)
			}
			if len(got) != len(want) {
				if reason, ok := goldenAllow[name+"/frames"]; ok {
					t.Logf("frames: tshark %d, pcapframe %d (allowed: %s)", len(want), len(got), reason)
				} else {
					t.Errorf("frames: tshark %d, pcapframe %d", len(want), len(got))
				}
			}
			_, framesAllowed := goldenAllow[name+"/frames"]
			if damaged, known := tsharkFails[name]; known && !framesAllowed && damaged != (err != nil) {
				t.Errorf("tshark reports damage: %v; pcapframe error: %v", damaged, err)
			}
			byFrame := map[string]map[string]string{}
			for _, g := range got {
				byFrame[g["frame"]] = g
			}
			bad := map[string][]string{}
			for _, w := range want {
				g, ok := byFrame[w["frame.number"]]
				if !ok {
					if !framesAllowed {
						bad["frame"] = append(bad["frame"], fmt.Sprintf("frame %s: no row", w["frame.number"]))
					}
					continue
				}
				for col, wv := range expected(w) {
					gv := g[col]
					if !sameValue(col, wv, gv) {
						bad[col] = append(bad[col], fmt.Sprintf("frame %s: tshark %q pcapframe %q", w["frame.number"], wv, gv))
					}
					total++
				}
				// A frame tshark gives no time (a pcapng simple packet block) has a null time, not the epoch.
				if gv, has := g["time"]; has && w["frame.time_epoch"] == "" {
					bad["time"] = append(bad["time"], fmt.Sprintf("frame %s: tshark no time, pcapframe %q", w["frame.number"], gv))
				}
			}
			for col, list := range bad {
				if reason, ok := goldenAllow[name+"/"+col]; ok {
					t.Logf("%s: %d frames differ (allowed: %s)", col, len(list), reason)
					continue
				}
				t.Errorf("%s differs in %d frames, e.g. %s", col, len(list), strings.Join(list[:min(3, len(list))], "; "))
			}
		})
	}
	if total == 0 {
		t.Fatal("no values compared")
	}
}

// tsharkFails maps each corpus capture to whether tshark reports it as damaged or unreadable (the MANIFEST's
// tshark_ok column); pcapframe must report an error for exactly those.
var tsharkFails = func() map[string]bool {
	m := map[string]bool{}
	data, err := os.ReadFile("../testdata/pcaps/MANIFEST.tsv")
	if err != nil {
		return m
	}
	for _, line := range strings.Split(string(data), "\n")[1:] {
		f := strings.Split(line, "\t")
		if len(f) >= 10 {
			m[f[0]] = strings.HasPrefix(f[9], "no")
		}
	}
	return m
}()

func readGolden(t *testing.T, path string) []map[string]string {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var header []string
	var rows []map[string]string
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.Split(line, "\t")
		if header == nil {
			header = parts
			continue
		}
		if len(parts) != len(header) {
			continue
		}
		r := map[string]string{}
		for i, h := range header {
			r[h] = parts[i]
		}
		rows = append(rows, r)
	}
	return rows
}

// decodeAll returns each frame's row as column → text, as the CSV writer would print it ("" for null).
func decodeAll(path string) ([]map[string]string, error) {
	r, err := capture.Open(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	dec := packet.NewDecoder()
	var rows []map[string]string
	var p packet.Packet
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return rows, err
		}
		dec.Decode(&p, pipeline.Meta(rec), rec.Data)
		rows = append(rows, rowText(&p))
	}
}

func rowText(p *packet.Packet) map[string]string {
	m := map[string]string{}
	for _, c := range packet.Table.Columns {
		switch {
		case c.Int != nil:
			if v, ok := c.Int(p); ok {
				m[c.Name] = strconv.FormatInt(v, 10)
			}
		case c.Append != nil:
			if v, ok := c.Append(p, nil); ok {
				m[c.Name] = string(v)
			}
		}
	}
	return m
}

// expected mirrors compare-tshark: what the table should say for one tshark row.
func expected(t map[string]string) map[string]string {
	protos := strings.Split(t["frame.protocols"], ":")
	var ips []string
	for _, p := range protos {
		if p == "ip" || p == "ipv6" {
			ips = append(ips, p)
		}
	}
	e := map[string]string{"frame": t["frame.number"], "caplen": t["frame.cap_len"], "wirelen": t["frame.len"], "time": t["frame.time_epoch"]}
	nested := len(ips) > 1
	contains := func(name string) bool {
		for _, p := range protos {
			if p == name {
				return true
			}
		}
		return false
	}
	switch {
	case len(ips) > 0 && ips[0] == "ip":
		e["src"], e["dst"], e["proto"], e["ttl"], e["len"] = t["ip.src"], t["ip.dst"], t["ip.proto"], t["ip.ttl"], t["ip.len"]
	case len(ips) > 0 && ips[0] == "ipv6":
		e["src"], e["dst"], e["ttl"] = t["ipv6.src"], t["ipv6.dst"], t["ipv6.hlim"]
		for _, pn := range []struct {
			name string
			num  string
		}{{"tcp", "6"}, {"udp", "17"}, {"icmpv6", "58"}} {
			if contains(pn.name) && !nested {
				e["proto"] = pn.num
			}
		}
	}
	if nested || len(ips) == 0 {
		return clean(e)
	}
	switch {
	case contains("tcp"):
		e["sport"], e["dport"], e["seq"] = t["tcp.srcport"], t["tcp.dstport"], t["tcp.seq_raw"]
		flags := flagLetters(t["tcp.flags"])
		if strings.Contains(flags, "A") {
			e["ack"] = t["tcp.ack_raw"]
		}
		e["tcp_flags"], e["window"], e["payload"] = flags, t["tcp.window_size_value"], t["tcp.len"]
	case contains("udp") && t["udp.srcport"] != "":
		e["sport"], e["dport"] = t["udp.srcport"], t["udp.dstport"]
		if n, err := strconv.Atoi(t["udp.length"]); err == nil {
			// The frame carries at most what its IP packet holds after the UDP header: in a first fragment the
			// UDP length is the whole datagram's.
			pay := n - 8
			if c, ok := ipCarried(ips[0], t); ok && c-8 < pay {
				pay = max(c-8, 0)
			}
			e["payload"] = strconv.Itoa(pay)
		}
	case laterFragment(ips[0], t):
		// With reassembly off tshark decodes no transport header in a later fragment: its payload is the bytes
		// its IP packet carries.
		if c, ok := ipCarried(ips[0], t); ok {
			e["payload"] = strconv.Itoa(c)
		}
	}
	if contains("icmp") && t["icmp.type"] != "" {
		e["icmp_type"], e["icmp_code"] = t["icmp.type"], t["icmp.code"]
	} else if contains("icmpv6") && t["icmpv6.type"] != "" {
		e["icmp_type"], e["icmp_code"] = t["icmpv6.type"], t["icmpv6.code"]
	}
	return clean(e)
}

// ipCarried is the number of bytes the outermost IP header (ip or ipv6) says its packet carries after the IP
// headers, from tshark's fields: ip.len - ip.hdr_len, or ipv6.plen less the extension headers tshark decoded
// (fragment header: 8 bytes; hop-by-hop, routing and destination options: their len_oct).
func ipCarried(ip string, t map[string]string) (int, bool) {
	num := func(f string) int {
		n, _ := strconv.Atoi(t[f])
		return n
	}
	switch ip {
	case "ip":
		if t["ip.len"] == "" || t["ip.hdr_len"] == "" {
			return 0, false
		}
		return num("ip.len") - num("ip.hdr_len"), true
	case "ipv6":
		if t["ipv6.plen"] == "" || t["ipv6.plen"] == "0" {
			return 0, false
		}
		n := num("ipv6.plen") - num("ipv6.hopopts.len_oct") - num("ipv6.routing.len_oct") - num("ipv6.dstopts.len_oct")
		if t["ipv6.fraghdr.offset"] != "" {
			n -= 8
		}
		return n, true
	}
	return 0, false
}

// laterFragment reports whether the outermost IP header is a fragment other than the first.
func laterFragment(ip string, t map[string]string) bool {
	switch ip {
	case "ip":
		return t["ip.frag_offset"] != "" && t["ip.frag_offset"] != "0"
	case "ipv6":
		return t["ipv6.fraghdr.offset"] != "" && t["ipv6.fraghdr.offset"] != "0"
	}
	return false
}

// clean drops the columns tshark has no value for: they are not compared.
func clean(e map[string]string) map[string]string {
	for k, v := range e {
		if v == "" {
			delete(e, k)
		}
	}
	return e
}

func flagLetters(v string) string {
	n, err := strconv.ParseUint(strings.TrimPrefix(v, "0x"), 16, 16)
	if err != nil {
		return ""
	}
	return string(packet.AppendTCPFlags(nil, uint16(n)))
}

func sameValue(col, want, got string) bool {
	switch col {
	case "time":
		// pcapframe's time column is integer nanoseconds; tshark prints epoch seconds with 9 decimals.
		w, ok1 := new(big.Rat).SetString(want)
		g, ok2 := new(big.Rat).SetString(got)
		if !ok1 || !ok2 {
			return false
		}
		g.Quo(g, big.NewRat(1e9, 1))
		return w.Cmp(g) == 0
	case "src", "dst":
		return strings.EqualFold(want, got)
	}
	return want == got
}
