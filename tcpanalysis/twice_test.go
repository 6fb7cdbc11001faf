package tcpanalysis_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/pcapframe/pcapframe/packet"
	"github.com/pcapframe/pcapframe/pipeline"
)

// TestEveryFrameTwice is the analyst's case of issue 13: a capture that holds every frame twice (written here
// from zeek__ftp_bruteforce.pcap, each record twice in a row) doubles the count of FTP PASS commands. Every
// second frame must have duplicate_of set to the frame before it, and counting the PASS commands whose frame is
// no duplicate must give the original capture's count; the copies are also retransmissions (data) or duplicate
// ACKs (empty segments) to the TCP analysis (tshark agrees frame by frame on the same capture merged with itself
// by mergecap, checked by hand; the golden test checks the analysis itself).
func TestEveryFrameTwice(t *testing.T) {
	src := "../testdata/pcaps/zeek__ftp_bruteforce.pcap"
	f, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	doubled := filepath.Join(t.TempDir(), "twice.pcap")
	out, err := os.Create(doubled)
	if err != nil {
		t.Fatal(err)
	}
	w := pcapgo.NewWriter(out)
	if err := w.WriteFileHeader(r.Snaplen(), r.LinkType()); err != nil {
		t.Fatal(err)
	}
	originals := 0
	for {
		data, ci, err := r.ReadPacketData()
		if err != nil {
			break
		}
		originals++
		for range 2 {
			if err := w.WritePacket(gopacket.CaptureInfo{Timestamp: ci.Timestamp, CaptureLength: len(data), Length: ci.Length}, data); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	if r.LinkType() != layers.LinkTypeEthernet || originals < 100 {
		t.Fatalf("%s: link type %v, %d frames", src, r.LinkType(), originals)
	}

	var frames, pass, passOnce, copiesMarked, tcpCopies, tcpCopiesFlagged int
	err = pipeline.Run(context.Background(), []string{doubled}, pipeline.Options{Workers: 1}, func(b *pipeline.Batch) error {
		for i := range b.Packets {
			p := &b.Packets[i]
			frames++
			isCopy := p.Frame%2 == 0
			if isCopy {
				if p.DuplicateOf == p.Frame-1 {
					copiesMarked++
				}
				if p.Analysis&packet.TCPAnalyzed != 0 {
					tcpCopies++
					if p.Analysis&(packet.TCPAnyRetransmission|packet.TCPDupAck) != 0 {
						tcpCopiesFlagged++
					}
				}
			} else if p.DuplicateOf != 0 {
				t.Errorf("frame %d (an original) marked a duplicate of %d", p.Frame, p.DuplicateOf)
			}
			if bytes.HasPrefix(p.Payload(), []byte("PASS ")) {
				pass++
				if p.DuplicateOf == 0 {
					passOnce++
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if frames != 2*originals || copiesMarked != originals {
		t.Errorf("%d frames (want %d), %d copies marked (want %d)", frames, 2*originals, copiesMarked, originals)
	}
	if pass == 0 || pass != 2*passOnce {
		t.Errorf("PASS commands: %d in all, %d not duplicates; want twice as many in all", pass, passOnce)
	}
	// A copy of a segment with data is a retransmission; a copy of an empty ACK is a duplicate ACK, unless it is
	// a copy of a keep-alive, a window update, a RST...: those are few, so nine copies in ten must be flagged.
	if tcpCopies == 0 || tcpCopiesFlagged*10 < tcpCopies*9 {
		t.Errorf("%d of %d TCP copies flagged as retransmission or duplicate ACK", tcpCopiesFlagged, tcpCopies)
	}
	t.Logf("%d frames, %d PASS commands (%d once), %d of %d TCP copies flagged", frames, pass, passOnce, tcpCopiesFlagged, tcpCopies)
}

// TestPerInput checks that each input is its own capture: the same file given twice (read by one worker, then by
// two at once) gets the same analysis both times, not retransmissions of the first copy.
func TestPerInput(t *testing.T) {
	src := "../testdata/pcaps/arkime__wireshark-retrans.pcap"
	for _, workers := range []int{1, 2} {
		var res [2][]uint32
		var dupOf [2][]int64
		input := -1
		last := int64(1 << 62)
		err := pipeline.Run(context.Background(), []string{src, src}, pipeline.Options{Workers: workers}, func(b *pipeline.Batch) error {
			for i := range b.Packets {
				p := &b.Packets[i]
				if p.Frame < last {
					input++ // batches come in input order; frame numbers restart with each input
				}
				last = p.Frame
				res[input] = append(res[input], p.Analysis)
				dupOf[input] = append(dupOf[input], p.DuplicateOf)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(res[0]) == 0 || !slices.Equal(res[0], res[1]) || !slices.Equal(dupOf[0], dupOf[1]) {
			t.Errorf("workers %d: the two inputs differ (%d and %d frames)", workers, len(res[0]), len(res[1]))
		}
	}
}
