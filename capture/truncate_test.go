package capture

import (
	"encoding/binary"
	"errors"
	"slices"
	"testing"
)

// pcapngBoundaries walks pcapng blocks independently of the reader and
// returns the offsets where blocks start, plus the end of the data.
func pcapngBoundaries(t *testing.T, b []byte) []int64 {
	t.Helper()
	var out []int64
	var order binary.ByteOrder = binary.LittleEndian
	off := 0
	for off+12 <= len(b) {
		out = append(out, int64(off))
		if binary.LittleEndian.Uint32(b[off:]) == 0x0a0d0d0a {
			if binary.LittleEndian.Uint32(b[off+8:]) == 0x1a2b3c4d {
				order = binary.LittleEndian
			} else {
				order = binary.BigEndian
			}
		}
		off += int(order.Uint32(b[off+4:]))
	}
	if off != len(b) {
		t.Fatalf("block walk ended at %d of %d", off, len(b))
	}
	return append(out, int64(off))
}

// TestTruncation cuts real captures at many byte positions: there must be
// no panic, the records before the cut must be returned unchanged, a cut
// on a record boundary is a clean end, and any other cut is an *Error with
// Truncated set and the offset of the record (or block) that was cut.
func TestTruncation(t *testing.T) {
	for _, name := range []string{
		"arkime__gre-erspan-vxlan.pcap",
		"pcapplusplus__Pcap__Test_PcapExamples_nanosecs_big_endian.pcap",
		"pcap-parser__modified-format.pcap",
		"tcpdump__tcp-handshake-nano.pcap",
		"gopacket__pcapgo_tests_be_test202.pcapng",
		"zeek__pcapng-multi-interface.pcapng",
		"pcapplusplus__Pcap__Test_PcapExamples_many_interfaces-1.pcapng",
		"pcapplusplus__Pcap__Test_PcapExamples_pcapng-example.pcapng",
		"chrissanders__3e80211_wpaauth.pcapng",
	} {
		t.Run(name, func(t *testing.T) {
			data := readTestFile(t, name)
			r, full, err := readBytes(t, name, data)
			if err != nil {
				t.Fatal(err)
			}
			var bounds []int64 // offsets where a cut leaves whole records
			var ends []int64   // end offset of each record in full
			headerLen := int64(24)
			if r.Format() == FormatPcapng {
				bounds = pcapngBoundaries(t, data)
				headerLen = bounds[1]
				for _, x := range full {
					i, _ := slices.BinarySearch(bounds, x.Offset)
					ends = append(ends, bounds[i+1])
				}
			} else {
				bounds = []int64{24}
				for _, x := range full {
					end := x.Offset + int64(r.hdrLen) + int64(x.CapLen)
					bounds = append(bounds, end)
					ends = append(ends, end)
				}
			}
			step := 1
			if len(data) > 8000 {
				step = 7
			}
			for c := 0; c <= len(data); c += step {
				cut := int64(c)
				r, got, err := readBytes(t, name, data[:c])
				if cut < headerLen {
					if r != nil || err == nil {
						t.Fatalf("cut %d inside the file header: no error from NewReader", c)
					}
					if !errors.Is(err, ErrNotCapture) && !errors.Is(err, ErrTruncated) {
						t.Fatalf("cut %d: %v", c, err)
					}
					continue
				}
				n := 0
				for n < len(ends) && ends[n] <= cut {
					n++
				}
				if len(got) != n || !equalRecs(t, got, full[:n]) {
					t.Fatalf("cut %d: got %d records, want the first %d", c, len(got), n)
				}
				i, onBoundary := slices.BinarySearch(bounds, cut)
				if onBoundary {
					if err != nil {
						t.Fatalf("cut %d on a boundary: %v", c, err)
					}
					continue
				}
				e := asError(t, err)
				if !e.Truncated || !errors.Is(err, ErrTruncated) {
					t.Fatalf("cut %d: %v is not a truncation", c, err)
				}
				if e.Offset != bounds[i-1] {
					t.Fatalf("cut %d: error offset %d, want %d (%v)", c, e.Offset, bounds[i-1], err)
				}
				if e.Frame < int64(n) || (r.Format() != FormatPcapng && e.Frame != int64(n)) {
					t.Fatalf("cut %d: Error.Frame %d with %d records read", c, e.Frame, n)
				}
			}
		})
	}
}
