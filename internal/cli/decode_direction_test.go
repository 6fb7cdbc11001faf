package cli

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pcapframe/pcapframe/hunt/decode"
)

// dnscatDirectPcap writes a capture of a dnscat2 session without a domain (doc/protocol.md, "Send / receive":
// names <tag>.<hex>, the tag "dnscat"; TXT answers in hex): the client's SYN and the server's, then a MSG from the
// client carrying up and the server's MSG carrying down, over UDP between 10.0.0.1:40000 and 10.0.0.2:53.
func dnscatDirectPcap(t *testing.T, up, down string) string {
	t.Helper()
	hexs := func(b []byte) string {
		const digits = "0123456789abcdef"
		out := make([]byte, 0, 2*len(b))
		for _, c := range b {
			out = append(out, digits[c>>4], digits[c&15])
		}
		return string(out)
	}
	client, server := [4]byte{10, 0, 0, 1}, [4]byte{10, 0, 0, 2}
	var pkts []decode.Packet
	id := uint16(0)
	exchange := func(q, a []byte) {
		id++
		m := []byte{byte(id >> 8), byte(id), 1, 0, 0, 1, 0, 0, 0, 0, 0, 0}
		m = append(m, 6)
		m = append(m, "dnscat"...)
		m = append(m, byte(2*len(q)))
		m = append(m, hexs(q)...)
		m = append(m, 0, 0, 16, 0, 1) // TXT, IN
		r := append([]byte{}, m...)
		r[2], r[3], r[7] = 0x85, 0x80, 1
		r = append(r, 0xc0, 12, 0, 16, 0, 1, 0, 0, 0, 60)
		txt := hexs(a)
		r = binary.BigEndian.AppendUint16(r, uint16(1+len(txt)))
		r = append(append(r, byte(len(txt))), txt...)
		ts := int64(1700000000e9) + int64(id)*1e6
		pkts = append(pkts, decode.Packet{TS: ts, Data: ipv4UDPPacket(client, server, 40000, 53, m)}, decode.Packet{TS: ts + 5e5, Data: ipv4UDPPacket(server, client, 53, 40000, r)})
	}
	const sid = 0x7a7a
	// SYN: packet_id, type 0, session, isn, options; the server's SYN with its isn
	exchange([]byte{0, 1, 0, sid >> 8, sid & 0xff, 0x10, 0x00, 0, 0}, []byte{0, 2, 0, sid >> 8, sid & 0xff, 0x20, 0x00, 0, 0})
	// MSG: packet_id, type 1, session, seq, ack, data
	exchange(append([]byte{0, 3, 1, sid >> 8, sid & 0xff, 0x10, 0x00, 0x20, 0x00}, up...),
		append([]byte{0, 4, 1, sid >> 8, sid & 0xff, 0x20, 0x00, 0x10, byte(len(up))}, down...))
	return writeRawPcap(t, "dnscat-direct.pcap", pkts)
}

// queryAnswersPcap writes a capture in which a client sends text up in the answer section of its own queries: one
// query per piece, <n>.qa.test TXT, each carrying one TXT answer record with the base64 of the piece (RFC 1035
// §4.1: a query whose ANCOUNT is 1), and the server's empty response to each.
func queryAnswersPcap(t *testing.T, pieces []string) string {
	t.Helper()
	var pkts []decode.Packet
	for i, piece := range pieces {
		m := []byte{0, byte(i + 1), 1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1, byte('0' + i), 2, 'q', 'a', 4, 't', 'e', 's', 't', 0, 0, 16, 0, 1}
		r := append([]byte{}, m...)
		r[2], r[3], r[7] = 0x85, 0x80, 0
		b64 := base64.StdEncoding.EncodeToString([]byte(piece))
		m = append(m, 0xc0, 12, 0, 16, 0, 1, 0, 0, 0, 0)
		m = binary.BigEndian.AppendUint16(m, uint16(1+len(b64)))
		m = append(append(m, byte(len(b64))), b64...)
		ts := int64(1700000000e9) + int64(i)*1e6
		pkts = append(pkts, decode.Packet{TS: ts, Data: ipv4UDPPacket([4]byte{10, 0, 0, 1}, [4]byte{10, 0, 0, 2}, 40000, 53, m)},
			decode.Packet{TS: ts + 5e5, Data: ipv4UDPPacket([4]byte{10, 0, 0, 2}, [4]byte{10, 0, 0, 1}, 53, 40000, r)})
	}
	return writeRawPcap(t, "query-answers.pcap", pkts)
}

// ipv4UDPPacket is an IPv4/UDP packet with a valid header checksum (the UDP checksum left 0, which IPv4 allows).
func ipv4UDPPacket(src, dst [4]byte, sport, dport uint16, payload []byte) []byte {
	p := make([]byte, 28, 28+len(payload))
	p[0], p[8], p[9] = 0x45, 64, 17
	binary.BigEndian.PutUint16(p[2:], uint16(28+len(payload)))
	copy(p[12:], src[:])
	copy(p[16:], dst[:])
	binary.BigEndian.PutUint16(p[20:], sport)
	binary.BigEndian.PutUint16(p[22:], dport)
	binary.BigEndian.PutUint16(p[24:], uint16(8+len(payload)))
	var s uint32
	for i := 0; i < 20; i += 2 {
		s += uint32(p[i])<<8 | uint32(p[i+1])
	}
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	binary.BigEndian.PutUint16(p[10:], ^uint16(s))
	return append(p, payload...)
}

// writeRawPcap writes packets (raw IP) to a pcap file in a temporary directory.
func writeRawPcap(t *testing.T, name string, pkts []decode.Packet) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := decode.WritePcap(f, pkts); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestDecodeDirection runs pcapframe decode --direction on captures whose two sides are known independently:
// dmachard's dns2tcp capture, whose server sends the SSH banner "SSH-2.0-OpenSSH_8.0\r\n" (tshark's TXT answer
// decoded by Python's base64) while its client sends its own banner; ndpi's iodine capture (both ways by
// default: -o FILE gets the client's packets, FILE.down the server's); and a dnscat2 session without a domain
// built here from dnscat2's protocol document, read with --tool dnscat2 and no --domain; and a capture whose
// client sends text in the answer section of its queries (FILE.answers gets it).
func TestDecodeDirection(t *testing.T) {
	const pcaps = "../../testdata/pcaps/"
	dir := t.TempDir()
	direct := dnscatDirectPcap(t, "up from the client", "down from the server")
	qa := queryAnswersPcap(t, []string{"carried in ", "the answer section ", "of queries"})
	for _, c := range []struct {
		name    string
		args    []string
		code    int
		want    []string
		notWant []string
		files   map[string]string // file -> contents ("" for a pcap)
	}{
		{"dns2tcp down", []string{"decode", pcaps + "dmachard__dns2tcp.pcap", "--domain", "dns2tcp.hsc.fr", "--direction", "down", "-o", filepath.Join(dir, "srv.txt")}, 0,
			[]string{"direction: down", "responses: 4"}, []string{"direction: up"}, map[string]string{"srv.txt": "SSH-2.0-OpenSSH_8.0\r\n"}},
		{"dns2tcp up", []string{"decode", pcaps + "dmachard__dns2tcp.pcap", "--domain", "dns2tcp.hsc.fr", "--direction", "up", "-o", filepath.Join(dir, "cli.txt")}, 0,
			[]string{"direction: up"}, []string{"direction: down"}, nil},
		{"iodine both", []string{"decode", pcaps + "ndpi__dns-tunnel-iodine.pcap", "--domain", "pirate.sea", "-o", filepath.Join(dir, "inner.pcap")}, 0,
			[]string{"direction: up", "direction: down", "result: 17 IP packets", "written: " + filepath.Join(dir, "inner.pcap.down")}, nil,
			map[string]string{"inner.pcap": "", "inner.pcap.down": ""}},
		{"dnscat2 direct", []string{"decode", direct, "--tool", "dnscat2", "-o", filepath.Join(dir, "cat")}, 0,
			[]string{`domain: none (names that begin with dnscat2's "dnscat" tag)`}, nil,
			map[string]string{"cat": "up from the client", "cat.down": "down from the server"}},
		{"answers of queries", []string{"decode", qa, "--domain", "qa.test", "-o", filepath.Join(dir, "q")}, 0,
			[]string{"direction: up (the client's data, in the answer section of its queries)", "written: " + filepath.Join(dir, "q.answers")}, nil,
			map[string]string{"q.answers": "carried in the answer section of queries"}},
		{"bad direction", []string{"decode", pcaps + "ndpi__dns-exf.pcap", "--domain", "test.txt", "--direction", "sideways"}, ExitUsage, nil, nil, nil},
		{"direction with flow", []string{"decode", pcaps + "ndpi__dns-exf.pcap", "--flow", "1.2.3.4:1-1.2.3.5:2", "--direction", "down"}, ExitUsage, nil, nil, nil},
		{"no domain, not dnscat2", []string{"decode", direct, "--tool", "iodine"}, ExitUsage, nil, nil, nil},
		{"nothing down", []string{"decode", pcaps + "ndpi__dns-exf.pcap", "--domain", "test.txt", "--direction", "down"}, 1,
			[]string{"not decoded: no TXT, CNAME, MX or NS answer under test.txt"}, nil, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, errOut, code := run(t, "", c.args...)
			if code != c.code {
				t.Fatalf("exit %d, want %d: %s%s", code, c.code, out, errOut)
			}
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, w := range c.notWant {
				if strings.Contains(out, w) {
					t.Errorf("output has %q:\n%s", w, out)
				}
			}
			for f, want := range c.files {
				b, err := os.ReadFile(filepath.Join(dir, f))
				switch {
				case err != nil:
					t.Errorf("%s: %v", f, err)
				case want == "" && !bytes.HasPrefix(b, []byte{0x4d, 0x3c, 0xb2, 0xa1}):
					t.Errorf("%s: not a nanosecond pcap: %x", f, b[:min(len(b), 4)])
				case want != "" && string(b) != want:
					t.Errorf("%s: %q, want %q", f, b, want)
				}
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "cli.txt.down")); err == nil {
		t.Error("--direction up wrote a .down file")
	}
	// standard input is read for both directions (the names, then the answers)
	b, err := os.ReadFile(pcaps + "dmachard__dns2tcp.pcap")
	if err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runCmd(t, b, "decode", "-", "--domain", "dns2tcp.hsc.fr", "-o", filepath.Join(dir, "stdin"))
	if code != 0 {
		t.Fatalf("stdin: exit %d: %s%s", code, out, errOut)
	}
	if got, err := os.ReadFile(filepath.Join(dir, "stdin.down")); err != nil || string(got) != "SSH-2.0-OpenSSH_8.0\r\n" {
		t.Errorf("stdin: the server's side %q, %v", got, err)
	}
	if got, err := os.ReadFile(filepath.Join(dir, "stdin")); err != nil || !bytes.HasPrefix(got, []byte("SSH-2.0-OpenSSH_8.9p1")) {
		t.Errorf("stdin: the client's side %.30q, %v", got, err)
	}
}
