package packet_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pcapframe/pcapframe/packet"
	"github.com/pcapframe/pcapframe/pipeline"
)

// TestReassembledInMatchesTshark checks the reassembled_in column (set by the pipeline through FragmentTies)
// on the fragment captures against tshark 4 with two passes and reassembly on (scripts/golden-encap.sh: the
// first occurrence of ip.reassembled_in or ipv6.reassembled.in). tshark leaves the field empty on the fragment
// that completes a datagram; that frame names itself here.
func TestReassembledInMatchesTshark(t *testing.T) {
	captures := []string{
		"pcapplusplus__Pcap__Test_PcapExamples_ip4_fragments.pcap",
		"pcapplusplus__Pcap__Test_PcapExamples_ip6_fragments.pcap",
		"zeek__ipv4_fragmented-3.pcap",
		"zeek__ipv6-fragmented-dns.pcap",
		"chrissanders__ip_frag_source.pcapng",
		"ndpi__ip_fragmented_garbage.pcap",
		"tcpdump__ip6_frag_asan.pcap",
		"zeek__tunnels_gtp_gtp1_gn_normal_incl_fragmentation.pcap",
	}
	tied := 0
	for _, name := range captures {
		t.Run(name, func(t *testing.T) {
			f, err := os.Open(filepath.Join("../testdata/golden/encap", name+".tsv"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			tshark := map[int64]int64{}   // frame -> reassembled in
			completes := map[int64]bool{} // frames others are reassembled in
			sc := bufio.NewScanner(f)
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				if strings.HasPrefix(sc.Text(), "#") {
					continue
				}
				x := strings.Split(sc.Text(), "\t")
				if len(x) != 8 {
					t.Fatalf("bad line %q", sc.Text())
				}
				fr, _ := strconv.ParseInt(x[0], 10, 64)
				v := strings.Split(x[6]+x[7], ",")[0]
				if v != "" {
					in, err := strconv.ParseInt(v, 10, 64)
					if err != nil {
						t.Fatal(err)
					}
					tshark[fr] = in
					completes[in] = true
				}
			}
			var got []packet.Packet
			err = pipeline.Run(context.Background(), []string{filepath.Join("../testdata/pcaps", name)}, pipeline.Options{}, func(b *pipeline.Batch) error {
				for i := range b.Packets {
					got = append(got, packet.Packet{Meta: b.Packets[i].Meta, ReassembledIn: b.Packets[i].ReassembledIn, Layers: b.Packets[i].Layers, IPFlags: b.Packets[i].IPFlags, Frag: b.Packets[i].Frag})
				}
				return nil
			})
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Fatal(err)
			}
			bad := 0
			for i := range got {
				p := &got[i]
				want := tshark[p.Frame]
				if !p.IsFragment() {
					want = 0 // tshark's field may be an inner header's (GTP-U inside fragments)
				} else if want == 0 && completes[p.Frame] {
					want = p.Frame
				}
				if p.ReassembledIn != want {
					t.Errorf("frame %d: reassembled_in %d, tshark %d", p.Frame, p.ReassembledIn, tshark[p.Frame])
					if bad++; bad > 10 {
						t.Fatal("too many differences")
					}
				}
				if want != 0 {
					tied++
				}
			}
		})
	}
	if tied < 100 {
		t.Errorf("only %d fragments tied", tied)
	}
}

// TestReassembledInAcrossBatches writes a capture whose fragmented datagrams straddle the pipeline's batches of
// 2,048 frames: one whose fragments are frames 2047-2049 (the pipeline carries 2047 and 2048 over to the next
// batch, so all three are tied), and one whose first fragment is 300 frames before its last one across a batch
// boundary (more than packet.CarryFrames: that first fragment keeps no tie, as documented, and the datagram is
// still reassembled for the flows).
func TestReassembledInAcrossBatches(t *testing.T) {
	frag := func(id uint16, off int, more bool, n int) []byte {
		b := make([]byte, 20+n)
		b[0], b[8], b[9] = 0x45, 64, 17
		b[2], b[3] = byte((20+n)>>8), byte(20+n)
		b[4], b[5] = byte(id>>8), byte(id)
		fo := uint16(off / 8)
		if more {
			fo |= 0x2000
		}
		b[6], b[7] = byte(fo>>8), byte(fo)
		copy(b[12:20], []byte{192, 0, 2, 1, 192, 0, 2, 2})
		return b
	}
	plain := frag(0, 0, false, 40) // not a fragment
	var frames [][]byte
	for len(frames) < 2046 {
		frames = append(frames, plain)
	}
	frames = append(frames, frag(1, 0, true, 64), frag(1, 64, true, 64), frag(1, 128, false, 16)) // 2047-2049
	for len(frames) < 3699 {
		frames = append(frames, plain)
	}
	frames = append(frames, frag(2, 0, true, 64)) // 3700, 395 frames before the end of the second batch
	for len(frames) < 4200 {
		frames = append(frames, plain)
	}
	frames = append(frames, frag(2, 64, false, 64)) // 4201
	var pc []byte
	pc = binary.LittleEndian.AppendUint32(pc, 0xa1b2c3d4)
	pc = binary.LittleEndian.AppendUint16(pc, 2)
	pc = binary.LittleEndian.AppendUint16(pc, 4)
	pc = append(pc, make([]byte, 8)...)
	pc = binary.LittleEndian.AppendUint32(pc, 65535)
	pc = binary.LittleEndian.AppendUint32(pc, packet.LinkRaw)
	for i, f := range frames {
		pc = binary.LittleEndian.AppendUint32(pc, 0)
		pc = binary.LittleEndian.AppendUint32(pc, uint32(i*10)) // 10 µs apart: no reassembly timeout
		pc = binary.LittleEndian.AppendUint32(pc, uint32(len(f)))
		pc = binary.LittleEndian.AppendUint32(pc, uint32(len(f)))
		pc = append(pc, f...)
	}
	path := filepath.Join(t.TempDir(), "straddle.pcap")
	if err := os.WriteFile(path, pc, 0o644); err != nil {
		t.Fatal(err)
	}
	got := map[int64]int64{}
	var sizes []int
	next := int64(1)
	err := pipeline.Run(context.Background(), []string{path}, pipeline.Options{}, func(b *pipeline.Batch) error {
		sizes = append(sizes, len(b.Packets))
		for i := range b.Packets {
			p := &b.Packets[i]
			if p.Frame != next {
				return fmt.Errorf("frame %d after %d", p.Frame, next-1)
			}
			next++
			if p.ReassembledIn != 0 {
				got[p.Frame] = p.ReassembledIn
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	want := map[int64]int64{2047: 2049, 2048: 2049, 2049: 2049, 4201: 4201}
	if !maps.Equal(got, want) || next != int64(len(frames))+1 {
		t.Errorf("reassembled_in %v, want %v (batches %v, %d frames)", got, want, sizes, next-1)
	}
}
