package agg

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pcapframe/pcapframe/internal/query"
)

// The independent truth: tshark's dissection of each frame (scripts/report-golden.sh writes it).
const goldenDir = "../../../testdata/golden/report"
const pcapDir = "../../../testdata/pcaps"

// frame is one line of a golden file.
type frame struct {
	timeNs       int64
	length       int64
	src, dst     string
	proto        int
	sport, dport int // -1 when none
	payload      int64
}

func readGolden(t *testing.T, name string) []frame {
	t.Helper()
	f, err := os.Open(filepath.Join(goldenDir, name+".tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []frame
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		c := strings.Split(sc.Text(), "\t")
		for len(c) < 14 {
			c = append(c, "")
		}
		or := func(a, b string) string {
			if a != "" {
				return a
			}
			return b
		}
		atoi := func(s string) int {
			if s == "" {
				return -1
			}
			n, err := strconv.Atoi(s)
			if err != nil {
				t.Fatalf("%s: bad number %q", name, s)
			}
			return n
		}
		sec, frac, _ := strings.Cut(c[0], ".")
		s, _ := strconv.ParseInt(sec, 10, 64)
		frac = (frac + "000000000")[:9]
		ns, _ := strconv.ParseInt(frac, 10, 64)
		fr := frame{timeNs: s*1e9 + ns, length: int64(atoi(c[1])), src: or(c[2], c[3]), dst: or(c[4], c[5]),
			proto: atoi(or(c[6], c[7])), sport: atoi(or(c[8], c[10])), dport: atoi(or(c[9], c[11]))}
		switch {
		case c[12] != "":
			fr.payload = int64(atoi(c[12]))
		case c[13] != "":
			fr.payload = int64(atoi(c[13])) - 8
		}
		out = append(out, fr)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// openCapture loads a capture's packets table into a fresh engine.
func openCapture(t testing.TB, path string) *query.Engine {
	t.Helper()
	ctx := context.Background()
	e, err := query.Open(ctx, query.Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	if _, err := e.Load(ctx, []string{path}, query.LoadOptions{Tables: []string{"packets"}}); err != nil {
		t.Fatal(err)
	}
	return e
}

type sums struct{ packets, bytes, payload int64 }

func protoName(p int) string {
	switch p {
	case 6:
		return "tcp"
	case 17:
		return "udp"
	}
	return strconv.Itoa(p)
}

func endpoint(addr string, port int) string {
	if port < 0 {
		return addr
	}
	if strings.Contains(addr, ":") {
		return "[" + addr + "]:" + strconv.Itoa(port)
	}
	return addr + ":" + strconv.Itoa(port)
}

// keyOf groups a golden frame as the dimension does; ok is false when the frame has no such key.
func keyOf(d Dim, f frame) (string, bool) {
	switch d {
	case Src:
		return f.src, f.src != ""
	case Dst:
		return f.dst, f.dst != ""
	case SPort:
		return fmt.Sprintf("%d/%s", f.sport, protoName(f.proto)), f.sport >= 0
	case DPort:
		return fmt.Sprintf("%d/%s", f.dport, protoName(f.proto)), f.dport >= 0
	case Conversation:
		if f.src == "" {
			return "", false
		}
		a, pa, b, pb := f.src, f.sport, f.dst, f.dport
		if !(a < b || (a == b && max(pa, 0) <= max(pb, 0))) {
			a, pa, b, pb = b, pb, a, pa
		}
		return endpoint(a, pa) + " ↔ " + endpoint(b, pb), true
	}
	return "", false
}

// TestBarsAgainstTshark sums tshark's per-frame fields by address, port and conversation and compares every
// group in pcapframe's top N (all three metrics), the number of groups and the totals.
func TestBarsAgainstTshark(t *testing.T) {
	captures := []string{"chrissanders__http_espn.pcapng", "pcapplusplus__Pcap__Test_PcapExamples_four_ipv6_http_streams.pcap",
		"tcpdump__dns_udp.pcap", "zeek__http_get.pcap"}
	for _, name := range captures {
		t.Run(name, func(t *testing.T) {
			frames := readGolden(t, name)
			e := openCapture(t, filepath.Join(pcapDir, name))
			for _, d := range []Dim{Src, Dst, SPort, DPort, Conversation} {
				t.Run(string(d), func(t *testing.T) {
					want := map[string]*sums{}
					var total sums
					for _, f := range frames {
						k, ok := keyOf(d, f)
						if !ok {
							continue
						}
						if want[k] == nil {
							want[k] = &sums{}
						}
						want[k].packets++
						want[k].bytes += f.length
						want[k].payload += f.payload
						total.packets++
						total.bytes += f.length
						total.payload += f.payload
					}
					set, err := Bars(context.Background(), e, d, Options{Top: 5})
					if err != nil {
						t.Fatal(err)
					}
					if set.Keys != int64(len(want)) {
						t.Errorf("groups = %d, want %d", set.Keys, len(want))
					}
					if got := (sums{set.Total.Packets, set.Total.Bytes, set.Total.Payload}); got != total {
						t.Errorf("totals = %+v, want %+v", got, total)
					}
					for _, m := range Metrics {
						rows, other, others := set.TopN(m, 5)
						var shown sums
						prev := int64(math.MaxInt64)
						for _, r := range rows {
							w := want[r.Key]
							if w == nil {
								t.Errorf("%s: key %q not in tshark's frames", m, r.Key)
								continue
							}
							if got := (sums{r.Packets, r.Bytes, r.Payload}); got != *w {
								t.Errorf("%s: %q = %+v, want %+v", m, r.Key, got, *w)
							}
							if r.Value(m) > prev {
								t.Errorf("%s: bars not sorted: %q after a smaller bar", m, r.Key)
							}
							prev = r.Value(m)
							shown.packets += r.Packets
							shown.bytes += r.Bytes
							shown.payload += r.Payload
						}
						// No group left out may beat the smallest shown bar.
						for k, w := range want {
							in := false
							for _, r := range rows {
								in = in || r.Key == k
							}
							v := map[Metric]int64{Packets: w.packets, Bytes: w.bytes, Payload: w.payload}[m]
							if !in && len(rows) > 0 && v > rows[len(rows)-1].Value(m) {
								t.Errorf("%s: %q (%d) left out of the top %d", m, k, v, len(rows))
							}
						}
						if others != int64(len(want)-len(rows)) {
							t.Errorf("%s: others = %d, want %d", m, others, len(want)-len(rows))
						}
						if got := (sums{other.Packets, other.Bytes, other.Payload}); got != (sums{total.packets - shown.packets, total.bytes - shown.bytes, total.payload - shown.payload}) {
							t.Errorf("%s: other = %+v", m, got)
						}
					}
				})
			}
			t.Run("timeline", func(t *testing.T) {
				tl, err := TimelineOf(context.Background(), e, 100*time.Millisecond, 0)
				if err != nil {
					t.Fatal(err)
				}
				t0 := frames[0].timeNs
				for _, f := range frames {
					t0 = min(t0, f.timeNs)
				}
				want := map[int64]*sums{}
				last := int64(0)
				for _, f := range frames {
					b := (f.timeNs - t0) / int64(100*time.Millisecond)
					last = max(last, b)
					if want[b] == nil {
						want[b] = &sums{}
					}
					want[b].packets++
					want[b].bytes += f.length
					want[b].payload += f.payload
				}
				if len(tl.Start) != int(last)+1 {
					t.Fatalf("intervals = %d, want %d", len(tl.Start), last+1)
				}
				for i := range tl.Start {
					w := want[int64(i)]
					if w == nil {
						w = &sums{}
					}
					if got := (sums{tl.Packets[i], tl.Bytes[i], tl.Payload[i]}); got != *w {
						t.Errorf("interval %d = %+v, want %+v", i, got, *w)
					}
					if tl.Start[i] != t0+int64(i)*int64(100*time.Millisecond) {
						t.Errorf("interval %d starts at %d", i, tl.Start[i])
					}
				}
			})
		})
	}
}

// TestGraph checks the graph against tshark's frames: each node's traffic is every frame it sent or received,
// each edge the frames between its two addresses.
func TestGraph(t *testing.T) {
	name := "chrissanders__http_espn.pcapng"
	frames := readGolden(t, name)
	e := openCapture(t, filepath.Join(pcapDir, name))
	g, err := GraphOf(context.Background(), e, Bytes, 6)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Nodes) != 6 {
		t.Fatalf("nodes = %d, want 6", len(g.Nodes))
	}
	node := map[string]int64{}
	pair := map[[2]string]int64{}
	for _, f := range frames {
		if f.src == "" {
			continue
		}
		node[f.src] += f.length
		if f.dst != f.src {
			node[f.dst] += f.length
		}
		a, b := min(f.src, f.dst), max(f.src, f.dst)
		pair[[2]string{a, b}] += f.length
	}
	for _, n := range g.Nodes {
		if n.Bytes != node[n.Key] {
			t.Errorf("node %s = %d bytes, want %d", n.Key, n.Bytes, node[n.Key])
		}
	}
	wantEdges := 0
	for k := range pair {
		in := func(s string) bool {
			for _, n := range g.Nodes {
				if n.Key == s {
					return true
				}
			}
			return false
		}
		if k[0] != k[1] && in(k[0]) && in(k[1]) {
			wantEdges++
		}
	}
	if len(g.Edges) != wantEdges {
		t.Errorf("edges = %d, want %d", len(g.Edges), wantEdges)
	}
	for _, ed := range g.Edges {
		a, b := g.Nodes[ed.A].Key, g.Nodes[ed.B].Key
		if ed.Bytes != pair[[2]string{min(a, b), max(a, b)}] {
			t.Errorf("edge %s-%s = %d, want %d", a, b, ed.Bytes, pair[[2]string{min(a, b), max(a, b)}])
		}
	}
}

// TestTopTalkerAndPayload checks the top talker against tshark's frames, and the payload preview's first chunks
// against the capture's HTTP request bytes.
func TestTopTalkerAndPayload(t *testing.T) {
	name := "zeek__http_get.pcap"
	frames := readGolden(t, name)
	e := openCapture(t, filepath.Join(pcapDir, name))
	count := map[string]int{}
	for _, f := range frames {
		count[f.src]++
	}
	best := ""
	for k, n := range count {
		if k != "" && (best == "" || n > count[best] || (n == count[best] && k < best)) {
			best = k
		}
	}
	got, err := TopTalker(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	if got != best {
		t.Errorf("top talker = %q, want %q", got, best)
	}
	set, err := Bars(context.Background(), e, Dst, Options{Top: 10, FromTopTalker: true})
	if err != nil {
		t.Fatal(err)
	}
	var sent int64
	for _, f := range frames {
		if f.src == best {
			sent++
		}
	}
	if set.Total.Packets != sent {
		t.Errorf("packets sent by the top talker = %d, want %d", set.Total.Packets, sent)
	}
}

func TestNiceInterval(t *testing.T) {
	tests := []struct {
		span time.Duration
		n    int
		want time.Duration
	}{
		{0, 100, time.Microsecond},
		{59 * time.Second, 60, time.Second},
		{60 * time.Second, 60, 2 * time.Second},
		{10 * time.Minute, 200, 5 * time.Second},
		{2 * time.Millisecond, 1000, 10 * time.Microsecond},
	}
	for _, tt := range tests {
		t.Run(tt.span.String(), func(t *testing.T) {
			if got := NiceInterval(tt.span, tt.n); got != tt.want {
				t.Errorf("NiceInterval(%s, %d) = %s, want %s", tt.span, tt.n, got, tt.want)
			}
		})
	}
}

func BenchmarkBars(b *testing.B) {
	e := openCapture(b, filepath.Join(pcapDir, "chrissanders__http_espn.pcapng"))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Bars(context.Background(), e, DPort, Options{Top: 10}); err != nil {
			b.Fatal(err)
		}
	}
}
