package capture

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// pcapgoDivergence lists files where pcapgo (the independent oracle) stops
// or decodes differently from us for a reason that is pcapgo's, not ours.
// None at present: the two files with timestamps past int64 nanoseconds that
// were listed agree now that such times are out of range (see inRange).
var pcapgoDivergence = map[string]string{}

// oracleRec is one packet as pcapgo reads it.
type oracleRec struct {
	ci   gopacket.CaptureInfo
	lt   uint32
	data []byte
}

// readPcapgo reads a decompressed capture with pcapgo. ok is false if pcapgo
// cannot open it at all.
func readPcapgo(t *testing.T, data []byte) (recs []oracleRec, err error, ok bool) {
	t.Helper()
	if len(data) >= 4 && bytes.Equal(data[:4], []byte{0x0a, 0x0d, 0x0d, 0x0a}) {
		r, err := pcapgo.NewNgReader(bytes.NewReader(data), pcapgo.NgReaderOptions{WantMixedLinkType: true})
		if err != nil {
			return nil, err, false
		}
		for {
			d, ci, err := r.ReadPacketData()
			if err != nil {
				return recs, err, true
			}
			recs = append(recs, oracleRec{ci, uint32(ci.AncillaryData[0].(layers.LinkType)), d})
		}
	}
	r, err := pcapgo.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err, false
	}
	for {
		d, ci, err := r.ReadPacketData()
		if err != nil {
			return recs, err, true
		}
		recs = append(recs, oracleRec{ci, uint32(r.LinkType()), d})
	}
}

// TestPcapgoOracle compares every record of every corpus file that pcapgo
// can read: time, lengths, link type, interface and data bytes must match.
func TestPcapgoOracle(t *testing.T) {
	compared := 0
	for _, name := range corpusFiles(t) {
		t.Run(name, func(t *testing.T) {
			raw := decompressed(t, readTestFile(t, name))
			want, werr, ok := readPcapgo(t, raw)
			if !ok {
				t.Skipf("pcapgo cannot open it: %v", werr)
			}
			_, got, err := readBytes(t, name, readTestFile(t, name))
			why, diverges := pcapgoDivergence[name]
			n := min(len(got), len(want))
			for i := range n {
				g, w := got[i], want[i]
				wt := w.ci.Timestamp.UnixNano()
				noTime := w.ci.Timestamp.IsZero() || !inRange(w.ci.Timestamp)
				if noTime != g.NoTime {
					t.Errorf("record %d: pcapgo has no time (or one outside pcapframe's range): %v, pcapframe NoTime %v", i, noTime, g.NoTime)
				}
				if g.NoTime { // pcapng simple packet block: the record before's time, 0 for the first
					wt = 0
					if i > 0 {
						wt = got[i-1].Time
					}
				}
				if g.Time != wt || g.CapLen != w.ci.CaptureLength || g.WireLen != w.ci.Length ||
					g.LinkType != w.lt || g.Interface != w.ci.InterfaceIndex || !bytes.Equal(g.Data, w.data) {
					if diverges {
						t.Logf("record %d differs (%s)", i, why)
						return
					}
					t.Fatalf("record %d: got time %d cap %d wire %d lt %d if %d; pcapgo %d %d %d %d %d (data equal %v)",
						i, g.Time, g.CapLen, g.WireLen, g.LinkType, g.Interface,
						wt, w.ci.CaptureLength, w.ci.Length, w.lt, w.ci.InterfaceIndex, bytes.Equal(g.Data, w.data))
				}
			}
			pcapgoClean := errors.Is(werr, io.EOF)
			if len(got) != len(want) || pcapgoClean != (err == nil) {
				if diverges {
					t.Logf("pcapgo read %d (%v), we read %d (%v): %s", len(want), werr, len(got), err, why)
					return
				}
				t.Fatalf("pcapgo read %d records (then %v), we read %d (then %v)", len(want), werr, len(got), err)
			}
			compared++
		})
	}
	t.Logf("%d files identical to pcapgo", compared)
	if compared < 20 {
		t.Errorf("only %d files compared with pcapgo", compared)
	}
}

// inRange reports whether ts is within [MinTime, MaxTime], compared in
// seconds first so that far times (whose UnixNano is undefined) are judged
// correctly.
func inRange(ts time.Time) bool {
	s := ts.Unix()
	if s < MinTime/1e9 || s > MaxTime/1e9 {
		return false
	}
	return ts.UnixNano() >= MinTime && ts.UnixNano() <= MaxTime
}
