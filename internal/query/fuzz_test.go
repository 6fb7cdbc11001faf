package query

import (
	"context"
	"encoding/binary"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/pcapframe/pcapframe/packet"
)

// udpFrame builds an Ethernet/IPv4/UDP frame with n payload bytes.
func udpFrame(n int, fill byte) []byte {
	b := make([]byte, 14+20+8+n)
	copy(b[0:6], []byte{2, 0, 0, 0, 0, 1})
	copy(b[6:12], []byte{2, 0, 0, 0, 0, 2})
	binary.BigEndian.PutUint16(b[12:], 0x0800)
	ip := b[14:]
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(min(20+8+n, 65535)))
	ip[8] = 64
	ip[9] = 17
	copy(ip[12:16], []byte{10, 0, 0, 1})
	copy(ip[16:20], []byte{10, 0, 0, 2})
	udp := ip[20:]
	binary.BigEndian.PutUint16(udp[0:], 5353)
	binary.BigEndian.PutUint16(udp[2:], 53)
	binary.BigEndian.PutUint16(udp[4:], uint16(min(8+n, 65535)))
	for i := range udp[8:] {
		udp[8+i] = fill + byte(i)
	}
	return b
}

// TestLoaderLongValues stages frames with long payloads (many Parquet pages), and values of every length around
// DuckDB's string inlining limit, and compares them with the bytes in Go.
func TestLoaderLongValues(t *testing.T) {
	ctx := context.Background()
	e, err := Open(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	dec := packet.NewDecoder()
	var pkts []packet.Packet
	sizes := []int{0, 1, 11, 12, 13, 16, 100}
	for i := 0; i < 300; i++ {
		sizes = append(sizes, 60000)
	}
	for i, n := range sizes {
		var p packet.Packet
		data := udpFrame(n, byte(i))
		dec.Decode(&p, packet.Meta{Source: strings.Repeat("s", i%20), Frame: int64(i + 1), Time: int64(i), CapLen: int32(len(data)), WireLen: int32(len(data)), LinkType: 1}, data)
		pkts = append(pkts, p)
	}
	l, err := NewStager(e, packet.Table, packetDerived)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Append(pkts); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	res, err := e.Query(ctx, "SELECT frame, source, payload_raw, payload_hex FROM packets ORDER BY frame")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	i := 0
	for res.Next() {
		v := res.Values()
		p := &pkts[i]
		if got, want := v[1].(string), p.Source; got != want {
			t.Errorf("frame %d: source %q, want %q", i+1, got, want)
		}
		if got, want := string(v[2].([]byte)), string(p.Payload()); got != want {
			t.Errorf("frame %d: payload_raw of %d bytes differs (want %d bytes)", i+1, len(got), len(want))
		}
		if got := v[3].(string); len(got) != 2*len(p.Payload()) {
			t.Errorf("frame %d: payload_hex has %d characters, want %d", i+1, len(got), 2*len(p.Payload()))
		}
		i++
	}
	if i != len(pkts) {
		t.Errorf("%d rows, want %d", i, len(pkts))
	}
}

// FuzzLoadFrame decodes arbitrary bytes as a frame, loads the packet and reads every column back: no panic, and
// text columns valid UTF-8.
func FuzzLoadFrame(f *testing.F) {
	f.Add(udpFrame(20, 'a'), int32(1))
	f.Add([]byte{}, int32(1))
	f.Add(udpFrame(0, 0)[:30], int32(113))
	ctx := context.Background()
	e, err := Open(ctx, Options{})
	if err != nil {
		f.Fatal(err)
	}
	defer e.Close()
	dec := packet.NewDecoder()
	f.Fuzz(func(t *testing.T, data []byte, linktype int32) {
		var p packet.Packet
		dec.Decode(&p, packet.Meta{Source: "fuzz\xff", Frame: 1, CapLen: int32(len(data)), WireLen: int32(len(data)), LinkType: linktype, Comment: string(data[:min(len(data), 40)])}, data)
		l, err := NewStager(e, packet.Table, packetDerived)
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Append([]packet.Packet{p}); err != nil {
			t.Fatal(err)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		res, err := e.Query(ctx, "SELECT * FROM packets")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Close()
		n := 0
		for res.Next() {
			n++
			for i, v := range res.Values() {
				if s, ok := v.(string); ok && !utf8.ValidString(s) {
					t.Errorf("column %s is not UTF-8: %q", res.Columns[i].Name, s)
				}
			}
		}
		if err := res.Err(); err != nil || n != 1 {
			t.Fatalf("rows %d, err %v", n, err)
		}
	})
}

// FuzzMemoryLimit checks that any --memory-limit value is either refused or given to DuckDB as a plain size.
func FuzzMemoryLimit(f *testing.F) {
	for _, s := range []string{"4GB", "50%", "512MiB", "1e3", "0", "-1GB", "100.5%", "", "GB", "1 TB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := memoryLimit(s)
		if err != nil {
			return
		}
		if strings.ContainsAny(v, "'\";\\") {
			t.Errorf("memoryLimit(%q) = %q", s, v)
		}
	})
}

// FuzzIdentifier checks that table names made from file names are plain identifiers.
func FuzzIdentifier(f *testing.F) {
	for _, s := range []string{"packets", "My Table", "9lives", "", "ünï", "a\"b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id := identifier(s)
		if id == "" || id[0] >= '0' && id[0] <= '9' {
			t.Fatalf("identifier(%q) = %q", s, id)
		}
		for _, r := range id {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
				t.Fatalf("identifier(%q) = %q", s, id)
			}
		}
	})
}

// FuzzParseFormat checks that ParseFormat accepts only the listed formats.
func FuzzParseFormat(f *testing.F) {
	for _, s := range []string{"table", "CSV", " jsonl ", "md", "xml"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseFormat(s)
		if err == nil && !strings.Contains(strings.Join([]string{"table", "csv", "jsonl", "markdown", "parquet"}, " "), string(got)) {
			t.Errorf("ParseFormat(%q) = %q", s, got)
		}
	})
}
