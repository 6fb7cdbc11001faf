package report

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/pcapframe/pcapframe/internal/tsharktest"
	"github.com/pcapframe/pcapframe/pipeline"
	"github.com/pcapframe/pcapframe/stream"
)

const pcapDir = "../../testdata/pcaps"

// followed is what the follow code path (stream.Follower over the decoded capture, as `pcapframe follow --flow`)
// gives for one conversation.
type followed struct {
	header stream.Header
	chunks []PreviewChunk
	sides  [2][]byte // payload bytes of Node 0 and Node 1
	gaps   int64
}

// followCapture follows the conversation between a and b in the capture as `pcapframe follow` does.
func followCapture(t *testing.T, path, proto string, a, b netip.AddrPort) *followed {
	t.Helper()
	out := &followed{}
	fo := stream.NewFollower(stream.Match{Proto: proto, A: a, B: b}, stream.Options{}, func(h stream.Header) (func(*stream.Chunk) error, error) {
		out.header = h
		return func(c *stream.Chunk) error {
			n1 := c.Side != h.Node0
			out.chunks = append(out.chunks, PreviewChunk{Node1: n1, Frame: c.Frame, Time: c.Time, Offset: c.Offset, Gap: c.Gap, Data: bytes.Clone(c.Data)})
			if n1 {
				out.sides[1] = append(out.sides[1], c.Data...)
			} else {
				out.sides[0] = append(out.sides[0], c.Data...)
			}
			if c.Gap > 0 {
				out.gaps++
			}
			return nil
		}, nil
	})
	err := pipeline.Run(context.Background(), []string{path}, pipeline.Options{}, func(bt *pipeline.Batch) error {
		for i := range bt.Packets {
			if err := fo.Add(&bt.Packets[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	found, _, err := fo.Close()
	if err != nil || !found {
		t.Fatalf("follow %s %s-%s: found %v, %v", proto, a, b, found, err)
	}
	return out
}

func previewSides(p *Preview) (sides [2][]byte) {
	for _, c := range p.Chunks {
		if c.Node1 {
			sides[1] = append(sides[1], c.Data...)
		} else {
			sides[0] = append(sides[0], c.Data...)
		}
	}
	return sides
}

// TestPreviewMatchesFollow checks the report's payload previews of corpus captures with retransmissions,
// reordering and IPv6 against the follow code path (the same chunks, in the same order) and against tshark's
// Follow TCP/UDP Stream (the same bytes of each node).
func TestPreviewMatchesFollow(t *testing.T) {
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Fatal("tshark is not installed (apt-get install -y tshark; scripts/test.sh installs it)")
	}
	tests := []struct {
		capture  string
		previews int
		bytes    int
	}{
		{"arkime__wireshark-retrans.pcap", 2, 1 << 20},
		{"chrissanders__tcp_retransmissions.pcapng", 2, 1 << 20},
		{"zeek__tcp_handshake-reorder.pcap", 2, 1 << 20},
		{"zeek__tcp_retransmit-fast009.pcap", 2, 1 << 20},
		{"pcapplusplus__Pcap__Test_PcapExamples_four_ipv6_http_streams.pcap", 4, 1 << 20},
		{"chrissanders__http_espn.pcapng", 5, 1000}, // cut previews
		{"ndpi__bad-dns-traffic.pcap", 3, 1 << 20},  // UDP
	}
	for _, batch := range []int{previewBatchPackets, 3} { // 3: read on page by page
		for _, tc := range tests {
			t.Run(fmt.Sprintf("%s/batch=%d", tc.capture, batch), func(t *testing.T) {
				defer func(b int) { previewBatchPackets = b }(previewBatchPackets)
				previewBatchPackets = batch
				path := filepath.Join(pcapDir, tc.capture)
				e := openEngine(t, path)
				d, err := Collect(context.Background(), e, Options{Previews: tc.previews, PreviewBytes: tc.bytes})
				if err != nil {
					t.Fatal(err)
				}
				if len(d.Previews) == 0 {
					t.Fatal("no preview")
				}
				for _, p := range d.Previews {
					pa, _ := p.PortA.(int64)
					pb, _ := p.PortB.(int64)
					a := netip.AddrPortFrom(netip.MustParseAddr(p.A), uint16(pa))
					b := netip.AddrPortFrom(netip.MustParseAddr(p.B), uint16(pb))
					f := followCapture(t, path, p.Proto, a, b)
					name := fmt.Sprintf("%s stream %d (%s-%s)", p.Proto, f.header.Stream, a, b)

					// The follow code path: the same chunks, the preview a prefix cut at the byte limit.
					if len(p.Chunks) > len(f.chunks) {
						t.Fatalf("%s: %d chunks, follow %d", name, len(p.Chunks), len(f.chunks))
					}
					var shown int64
					for i, c := range p.Chunks {
						w := f.chunks[i]
						last := i == len(p.Chunks)-1
						if c.Node1 != w.Node1 || c.Frame != w.Frame || c.Offset != w.Offset || c.Gap != w.Gap ||
							!(bytes.Equal(c.Data, w.Data) || (last && p.Truncated && bytes.HasPrefix(w.Data, c.Data))) {
							t.Fatalf("%s: chunk %d is %+v, follow's %+v", name, i, c, w)
						}
						shown += int64(len(c.Data))
					}
					if shown != p.Shown || shown > int64(tc.bytes) {
						t.Errorf("%s: shown %d, chunks hold %d, limit %d", name, p.Shown, shown, tc.bytes)
					}
					whole := len(p.Chunks) == len(f.chunks) && bytes.Equal(previewSides(&p)[0], f.sides[0]) && bytes.Equal(previewSides(&p)[1], f.sides[1])
					if whole == p.Truncated {
						t.Errorf("%s: truncated = %v, but the preview holds %d of follow's %d chunks", name, p.Truncated, len(p.Chunks), len(f.chunks))
					}
					if n0, n1 := endpointName(f.header.Client), endpointName(f.header.Server); f.header.Node0 == stream.Server {
						if p.Node0 != n1 || p.Node1 != n0 {
							t.Errorf("%s: nodes %s, %s", name, p.Node0, p.Node1)
						}
					} else if p.Node0 != n0 || p.Node1 != n1 {
						t.Errorf("%s: nodes %s, %s", name, p.Node0, p.Node1)
					}

					// tshark, independently: each node's bytes. tshark stops at a hole that no acknowledgment explains
					// (see package stream), so with gaps its bytes are a prefix of follow's.
					ts, err := tsharktest.FollowRaw(path, p.Proto, f.header.Stream)
					if err != nil {
						t.Fatal(err)
					}
					got := previewSides(&p)
					for s := range 2 {
						switch {
						case !p.Truncated && f.gaps == 0:
							if !bytes.Equal(got[s], ts[s]) {
								t.Errorf("%s node %d: preview %d bytes, tshark %d", name, s, len(got[s]), len(ts[s]))
							}
						case f.gaps == 0 || len(got[s]) <= len(ts[s]):
							if !bytes.HasPrefix(ts[s], got[s]) {
								t.Errorf("%s node %d: the preview's %d bytes are not the start of tshark's %d", name, s, len(got[s]), len(ts[s]))
							}
						default:
							if !bytes.HasPrefix(got[s], ts[s]) {
								t.Errorf("%s node %d: tshark's %d bytes are not the start of the preview's %d", name, s, len(ts[s]), len(got[s]))
							}
						}
					}
				}
			})
		}
	}
}
