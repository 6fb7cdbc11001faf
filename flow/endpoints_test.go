package flow_test

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pcapframe/pcapframe/flow"
	"github.com/pcapframe/pcapframe/packet"
	"github.com/pcapframe/pcapframe/pipeline"
)

// TestEndpointsMatchTshark compares the endpoints table with tshark's -z endpoints,ip and -z endpoints,ipv6
// (golden files made by scripts/golden-flows.sh): the same addresses, packets and bytes, sent and received.
func TestEndpointsMatchTshark(t *testing.T) {
	goldens, _ := filepath.Glob(filepath.Join(goldenDir, "*.endpoints.txt"))
	if len(goldens) < 5 {
		t.Fatalf("only %d endpoint golden files", len(goldens))
	}
	for _, g := range goldens {
		name := strings.TrimSuffix(filepath.Base(g), ".endpoints.txt")
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(g)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string][6]int64{}
			for _, l := range strings.Split(string(b), "\n") {
				f := strings.Fields(l)
				if len(f) != 7 || strings.HasPrefix(l, " ") {
					continue
				}
				var v [6]int64
				ok := true
				for i := range v {
					n, err := strconv.ParseInt(f[i+1], 10, 64)
					ok = ok && err == nil
					v[i] = n
				}
				if ok {
					want[f[0]] = v
				}
			}
			got := map[string][6]int64{}
			var peers int64
			agg := flow.NewEndpoints(flow.EndpointOptions{}, func(e *flow.Endpoint) error {
				got[e.Addr.String()] = [6]int64{e.Packets, e.Bytes, e.TxPackets, e.TxBytes, e.RxPackets, e.RxBytes}
				peers += e.Peers
				return nil
			})
			err = pipeline.Run(context.Background(), []string{filepath.Join(pcapDir, name)}, pipeline.Options{}, func(b *pipeline.Batch) error {
				for i := range b.Packets {
					agg.Add(&b.Packets[i])
				}
				return nil
			})
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Fatal(err)
			}
			if err := agg.Close(); err != nil {
				t.Fatal(err)
			}
			if len(want) == 0 {
				t.Fatal("no addresses in the golden file")
			}
			for a, w := range want {
				if got[a] != w {
					t.Errorf("%s: got %v want %v (packets bytes tx_packets tx_bytes rx_packets rx_bytes)", a, got[a], w)
				}
				delete(got, a)
			}
			for a, g := range got {
				t.Errorf("extra address %s %v", a, g)
			}
			if peers == 0 {
				t.Error("no peers counted")
			}
		})
	}
}

// TestEndpointsPeersPorts checks every column of the endpoints table against sets counted naively here, packet
// by packet (peers, local TCP and UDP ports, first and last times, packets and bytes), on captures with many
// conversations; and, with MaxPairs small, that the counts are lower bounds marked as such.
func TestEndpointsPeersPorts(t *testing.T) {
	for _, name := range []string{"seed__find_the_image.pcap", "pcapplusplus__ExamplesTest_pcap_examples_many-protocols.pcap", "chrissanders__synscan.pcapng", "zeek__ftp_bruteforce.pcap"} {
		t.Run(name, func(t *testing.T) {
			type ref struct {
				peers                    map[netip.Addr]bool
				ports                    map[[2]int]bool
				first, last              int64
				tx, rx, txBytes, rxBytes int64
			}
			refs := map[netip.Addr]*ref{}
			get := func(a netip.Addr, ts int64) *ref {
				r := refs[a]
				if r == nil {
					r = &ref{peers: map[netip.Addr]bool{}, ports: map[[2]int]bool{}, first: ts, last: ts}
					refs[a] = r
				}
				r.first, r.last = min(r.first, ts), max(r.last, ts)
				return r
			}
			var got, capped []flow.Endpoint
			agg := flow.NewEndpoints(flow.EndpointOptions{}, func(e *flow.Endpoint) error { got = append(got, *e); return nil })
			small := flow.NewEndpoints(flow.EndpointOptions{MaxPairs: 8}, func(e *flow.Endpoint) error { capped = append(capped, *e); return nil })
			err := pipeline.Run(context.Background(), []string{filepath.Join(pcapDir, name)}, pipeline.Options{}, func(b *pipeline.Batch) error {
				for i := range b.Packets {
					p := &b.Packets[i]
					agg.Add(p)
					small.Add(p)
					if p.Layers&(packet.HasIP4|packet.HasIP6) == 0 {
						continue
					}
					s, d := get(p.Src, p.Time), get(p.Dst, p.Time)
					s.tx++
					s.txBytes += int64(p.WireLen)
					d.rx++
					d.rxBytes += int64(p.WireLen)
					if p.Src != p.Dst {
						s.peers[p.Dst], d.peers[p.Src] = true, true
					}
					if p.Layers&(packet.HasTCP|packet.HasUDP) != 0 && p.Layers&packet.HasFragment == 0 {
						s.ports[[2]int{int(p.Proto), int(p.SPort)}] = true
						d.ports[[2]int{int(p.Proto), int(p.DPort)}] = true
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := agg.Close(); err != nil {
				t.Fatal(err)
			}
			if err := small.Close(); err != nil {
				t.Fatal(err)
			}
			if len(got) != len(refs) || len(capped) != len(refs) || len(refs) < 2 {
				t.Fatalf("%d and %d addresses, want %d", len(got), len(capped), len(refs))
			}
			truncated := 0
			for i, e := range got {
				r := refs[e.Addr]
				if r == nil || e.Peers != int64(len(r.peers)) || e.Ports != int64(len(r.ports)) || e.FirstTS != r.first || e.LastTS != r.last ||
					e.TxPackets != r.tx || e.RxPackets != r.rx || e.TxBytes != r.txBytes || e.RxBytes != r.rxBytes || e.PeersTruncated {
					t.Errorf("%s: %+v, want %+v", e.Addr, e, r)
					continue
				}
				c := capped[i]
				if c.Addr != e.Addr || c.Peers > e.Peers || c.Ports > e.Ports || (c.Peers < e.Peers || c.Ports < e.Ports) != c.PeersTruncated ||
					c.TxPackets != e.TxPackets || c.RxBytes != e.RxBytes {
					t.Errorf("%s with MaxPairs 8: %+v, without %+v", e.Addr, c, e)
				}
				if c.PeersTruncated {
					truncated++
				}
			}
			if truncated == 0 {
				t.Error("MaxPairs 8 truncated no address")
			}
		})
	}
}
