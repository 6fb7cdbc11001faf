package flow_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pcapframe/pcapframe/flow"
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
