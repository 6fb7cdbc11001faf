package packet_test

import (
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pcapframe/pcapframe/capture"
	"github.com/pcapframe/pcapframe/packet"
	"github.com/pcapframe/pcapframe/pipeline"
)

// column returns the accessor of an integer column of the packet table.
func column(t *testing.T, name string) func(*packet.Packet) (int64, bool) {
	t.Helper()
	for _, c := range packet.Table.Columns {
		if c.Name == name && c.Int != nil {
			return c.Int
		}
	}
	t.Fatalf("no integer column %s", name)
	return nil
}

// TestFragmentPayloadByHand decodes the IPv4 fragments of fragmented UDP datagrams and checks each frame's
// payload against the value worked out from the frame's own bytes (Ethernet, then the IPv4 header's total
// length, header length and fragment offset, then the UDP header in the first fragment): the first fragment
// counts the bytes after the UDP header, a later one its IP payload. Over each datagram (the fragments sharing
// an IP ID, each offset once: the capture holds some fragments twice) the payload sums to the UDP length less 8,
// and over the capture to at most the bytes on the wire.
func TestFragmentPayloadByHand(t *testing.T) {
	payload := column(t, "payload")
	metas, datas := frames(t, "pcapplusplus__Pcap__Test_PcapExamples_ip4_fragments.pcap")
	type datagram struct {
		udpPayload, sum int64
		seen            map[uint16]bool // fragment offsets
	}
	byID := map[uint16]*datagram{}
	var sum, wire, fragments int64
	dec := packet.NewDecoder()
	for i, data := range datas {
		var p packet.Packet
		dec.Decode(&p, metas[i], data)
		got, ok := payload(&p)
		wire += int64(metas[i].WireLen)
		if !ok {
			continue
		}
		sum += got
		if binary.BigEndian.Uint16(data[12:14]) != 0x0800 {
			continue
		}
		ip := data[14:]
		ihl := int64(ip[0]&0x0f) * 4
		total := int64(binary.BigEndian.Uint16(ip[2:4]))
		id := binary.BigEndian.Uint16(ip[4:6])
		flagsOff := binary.BigEndian.Uint16(ip[6:8])
		offset, more := flagsOff&0x1fff, flagsOff&0x2000 != 0
		if offset == 0 && !more {
			continue // not a fragment
		}
		fragments++
		d := byID[id]
		if d == nil {
			d = &datagram{udpPayload: -1, seen: map[uint16]bool{}}
			byID[id] = d
		}
		var want int64
		switch {
		case offset != 0:
			want = total - ihl
		case ip[9] == 17:
			udp := ip[ihl:]
			d.udpPayload = int64(binary.BigEndian.Uint16(udp[4:6])) - 8
			want = total - ihl - 8
		default:
			t.Fatalf("frame %d: a first fragment of protocol %d: the test expects UDP", i+1, ip[9])
		}
		if got != want {
			t.Errorf("frame %d (id %#x, offset %d, more %v): payload %d, want %d", i+1, id, offset*8, more, got, want)
		}
		if !d.seen[offset] {
			d.seen[offset] = true
			d.sum += got
		}
	}
	if fragments < 10 || len(byID) < 2 {
		t.Fatalf("%d fragments of %d datagrams: the capture should hold several fragmented datagrams", fragments, len(byID))
	}
	for id, d := range byID {
		if d.udpPayload < 0 {
			t.Errorf("datagram %#x: no first fragment", id)
		} else if d.sum != d.udpPayload {
			t.Errorf("datagram %#x: payload of its fragments sums to %d, its UDP header declares %d", id, d.sum, d.udpPayload)
		}
	}
	if sum > wire {
		t.Errorf("payload sums to %d bytes, more than the %d bytes on the wire", sum, wire)
	}
}

// TestPayloadAtMostWire checks on every capture of the corpus that the payload column sums to no more than the
// bytes on the wire, each payload byte being counted in the one frame that carries it.
func TestPayloadAtMostWire(t *testing.T) {
	payload := column(t, "payload")
	entries, err := os.ReadDir("../testdata/pcaps")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || strings.HasSuffix(name, ".tsv") {
			continue
		}
		r, err := capture.Open(filepath.Join("../testdata/pcaps", name))
		if err != nil {
			continue // not a capture pcapframe reads (the golden test covers which)
		}
		dec := packet.NewDecoder()
		var sum, wire int64
		for {
			rec, err := r.Next()
			if err != nil {
				if !errors.Is(err, io.EOF) {
					t.Logf("%s: read stopped: %v", name, err)
				}
				break
			}
			var p packet.Packet
			dec.Decode(&p, pipeline.Meta(rec), rec.Data)
			wire += int64(rec.WireLen)
			if v, ok := payload(&p); ok {
				sum += v
			}
		}
		r.Close()
		checked++
		if sum > wire {
			t.Errorf("%s: payload sums to %d bytes, more than the %d bytes on the wire", name, sum, wire)
		}
	}
	if checked < 50 {
		t.Fatalf("only %d captures read", checked)
	}
}

// TestCorpusComplete keeps testdata/pcaps, its MANIFEST.tsv and the golden files in step, so that no capture is
// left out of the golden comparison and no MANIFEST row names a capture the repository does not hold (a test
// that reads the corpus through the MANIFEST would pass over it without a word).
func TestCorpusComplete(t *testing.T) {
	data, err := os.ReadFile("../testdata/pcaps/MANIFEST.tsv")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]bool{}
	for i, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if i == 0 {
			continue
		}
		name, _, _ := strings.Cut(line, "\t")
		rows[name] = true
		if _, err := os.Stat(filepath.Join("../testdata/pcaps", name)); err != nil {
			t.Errorf("MANIFEST.tsv names %s, which testdata/pcaps does not hold", name)
		}
	}
	entries, err := os.ReadDir("../testdata/pcaps")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || name == "MANIFEST.tsv" {
			continue
		}
		if !rows[name] {
			t.Errorf("%s has no row in MANIFEST.tsv (source, licence, what it exercises)", name)
		}
		if _, err := os.Stat(filepath.Join(goldenDir, name+".tsv")); err != nil {
			t.Errorf("%s has no tshark golden file: run scripts/golden-packets.sh testdata/pcaps/%s", name, name)
		}
	}
}
