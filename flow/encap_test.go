package flow_test

import (
	"bufio"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pcapframe/pcapframe/flow"
	"github.com/pcapframe/pcapframe/ipdefrag"
	"github.com/pcapframe/pcapframe/packet"
	"github.com/pcapframe/pcapframe/pipeline"
)

const encapGolden = "../testdata/golden/encap"

// encapRow is one frame of scripts/golden-encap.sh's output.
type encapRow struct {
	frame     string
	protocols string
	ipSrc     []string // every occurrence, outer first
	ipDst     []string
	ip6Src    []string
	ip6Dst    []string
	reassIn   string // ip.reassembled_in (outermost)
	reassIn6  string // ipv6.reassembled.in
}

func readEncapGolden(t *testing.T, path string) []encapRow {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	split := func(s string) []string {
		if s == "" {
			return nil
		}
		return strings.Split(s, ",")
	}
	var rows []encapRow
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "#") {
			continue
		}
		x := strings.Split(sc.Text(), "\t")
		if len(x) != 8 {
			t.Fatalf("%s: bad line %q", path, sc.Text())
		}
		rows = append(rows, encapRow{frame: x[0], protocols: x[1], ipSrc: split(x[2]), ipDst: split(x[3]),
			ip6Src: split(x[4]), ip6Dst: split(x[5]), reassIn: first(x[6]), reassIn6: first(x[7])})
	}
	if len(rows) == 0 {
		t.Fatalf("%s: no frames", path)
	}
	return rows
}

func first(s string) string { return strings.Split(s, ",")[0] }

// innermost returns tshark's innermost IP header of a frame, leaving out headers quoted inside ICMP errors
// (which pcapframe does not follow): "src dst", or "" when there is none.
func (r *encapRow) innermost() string {
	layers := strings.Split(r.protocols, ":")
	n4, n6, last := 0, 0, ""
	for _, l := range layers {
		if l == "icmp" || l == "icmpv6" {
			break
		}
		switch l {
		case "ip":
			if n4 < len(r.ipSrc) && n4 < len(r.ipDst) {
				last = r.ipSrc[n4] + " " + r.ipDst[n4]
			}
			n4++
		case "ipv6":
			if n6 < len(r.ip6Src) && n6 < len(r.ip6Dst) {
				last = r.ip6Src[n6] + " " + r.ip6Dst[n6]
			}
			n6++
		}
	}
	return last
}

// TestTunnelsMatchTshark walks every frame of the tunnel and fragment captures through an Unwrapper (tunnels to
// the depth limit, IP reassembly) and checks that the innermost IP header it reaches is the one tshark 4
// dissects (two passes, reassembly on; scripts/golden-encap.sh), on GRE, GRE in GRE, ERSPAN carrying VXLAN,
// VXLAN, Geneve, GTP-U with fragments inside, 6in4, Teredo, MPLS and IPv4/IPv6 fragments.
func TestTunnelsMatchTshark(t *testing.T) {
	goldens, _ := filepath.Glob(filepath.Join(encapGolden, "*.tsv"))
	if len(goldens) < 15 {
		t.Fatalf("only %d golden files in %s (scripts/golden-encap.sh)", len(goldens), encapGolden)
	}
	deepest := 0
	for _, g := range goldens {
		name := strings.TrimSuffix(filepath.Base(g), ".tsv")
		t.Run(name, func(t *testing.T) {
			want := readEncapGolden(t, g)
			u := flow.NewUnwrapper(0, ipdefrag.Options{})
			var got []string
			err := pipeline.Run(context.Background(), []string{filepath.Join(pcapDir, name)}, pipeline.Options{}, func(b *pipeline.Batch) error {
				for i := range b.Packets {
					inner := ""
					err := u.Each(&b.Packets[i], func(q *packet.Packet, depth int) error {
						if q.Layers&(packet.HasIP4|packet.HasIP6) != 0 {
							inner = q.Src.String() + " " + q.Dst.String()
							deepest = max(deepest, depth)
						}
						return nil
					})
					if err != nil {
						return err
					}
					got = append(got, inner)
				}
				return nil
			})
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("%d frames, tshark %d", len(got), len(want))
			}
			bad := 0
			for i := range want {
				if w := want[i].innermost(); got[i] != w {
					t.Errorf("frame %s (%s): innermost %q, tshark %q", want[i].frame, want[i].protocols, got[i], w)
					if bad++; bad > 10 {
						t.Fatal("too many differences")
					}
				}
			}
		})
	}
	if deepest < 2 {
		t.Errorf("no frame was decoded two tunnels deep (deepest %d)", deepest)
	}
}
