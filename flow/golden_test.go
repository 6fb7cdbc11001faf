package flow_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pcapframe/pcapframe/flow"
	"github.com/pcapframe/pcapframe/pipeline"
)

const (
	pcapDir   = "../testdata/pcaps"
	goldenDir = "../testdata/golden/flows"
)

// conv is one conversation as tshark counts it: side A is the source of its first frame.
type conv struct {
	proto             string
	stream            int64
	a, b              string // addr:port
	framesAB, bytesAB int64
	framesBA, bytesBA int64
}

func (c conv) String() string {
	return fmt.Sprintf("%s stream %d %s <-> %s: %d frames %d bytes -> / %d frames %d bytes <-", c.proto, c.stream, c.a, c.b, c.framesAB, c.bytesAB, c.framesBA, c.bytesBA)
}

func readGolden(t *testing.T, path string) []conv {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []conv
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		x := strings.Split(sc.Text(), "\t")
		if len(x) != 10 {
			t.Fatalf("%s: bad line %q", path, sc.Text())
		}
		n := func(s string) int64 {
			v, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			return v
		}
		out = append(out, conv{proto: x[0], stream: n(x[1]), a: x[2] + ":" + x[3], b: x[4] + ":" + x[5],
			framesAB: n(x[6]), bytesAB: n(x[7]), framesBA: n(x[8]), bytesBA: n(x[9])})
	}
	return out
}

// trackFile runs the tracker over one capture and returns every flow emitted.
func trackFile(t testing.TB, path string, opts flow.Options) ([]flow.Flow, flow.Stats) {
	t.Helper()
	var flows []flow.Flow
	tr := flow.NewTracker(opts, func(f *flow.Flow) error {
		flows = append(flows, *f)
		return nil
	})
	err := pipeline.Run(context.Background(), []string{path}, pipeline.Options{}, func(b *pipeline.Batch) error {
		for i := range b.Packets {
			if err := tr.Add(&b.Packets[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, context.Canceled) { // pipeline.Run reports its own cancel at the end: see report
		t.Fatalf("%s: %v", path, err)
	}
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	return flows, tr.Stats()
}

// TestConversationsMatchTshark checks the flows of corpus captures against tshark's conversations (golden data
// made by scripts/golden-flows.sh): the same TCP and UDP streams, with the same frames and frame bytes each way.
// Flows that pcapframe splits (idle timeout) but that share a Wireshark stream are added up first.
func TestConversationsMatchTshark(t *testing.T) {
	goldens, _ := filepath.Glob(filepath.Join(goldenDir, "*.conv.tsv"))
	if len(goldens) < 10 {
		t.Fatalf("only %d golden files in %s", len(goldens), goldenDir)
	}
	for _, g := range goldens {
		name := strings.TrimSuffix(filepath.Base(g), ".conv.tsv")
		t.Run(name, func(t *testing.T) {
			want := readGolden(t, g)
			flows, _ := trackFile(t, filepath.Join(pcapDir, name), flow.Options{})
			got := map[string]*conv{}
			for i := range flows {
				f := &flows[i]
				if f.Stream < 0 {
					continue
				}
				key := fmt.Sprintf("%s/%d", f.ProtoName(), f.Stream)
				c := got[key]
				if c == nil {
					c = &conv{proto: f.ProtoName(), stream: f.Stream, a: ep(f.OrigH.String(), f.OrigP), b: ep(f.RespH.String(), f.RespP)}
					got[key] = c
				}
				o, r := ep(f.OrigH.String(), f.OrigP), ep(f.RespH.String(), f.RespP)
				if o == c.a && r == c.b {
					c.framesAB += f.OrigPkts
					c.bytesAB += f.OrigWireBytes
					c.framesBA += f.RespPkts
					c.bytesBA += f.RespWireBytes
				} else if o == c.b && r == c.a {
					c.framesAB += f.RespPkts
					c.bytesAB += f.RespWireBytes
					c.framesBA += f.OrigPkts
					c.bytesBA += f.OrigWireBytes
				} else {
					t.Errorf("stream %s has flows of different endpoints: %s-%s and %s-%s", key, c.a, c.b, o, r)
				}
			}
			bad := 0
			for _, w := range want {
				key := fmt.Sprintf("%s/%d", w.proto, w.stream)
				g := got[key]
				delete(got, key)
				if g == nil {
					t.Errorf("missing %v", w)
					bad++
				} else {
					if g.a == w.b && g.b == w.a { // tshark's A is the first frame's source, ours the originator
						g.a, g.b = g.b, g.a
						g.framesAB, g.framesBA, g.bytesAB, g.bytesBA = g.framesBA, g.framesAB, g.bytesBA, g.bytesAB
					}
					if *g != w {
						t.Errorf("got  %v\nwant %v", *g, w)
						bad++
					}
				}
				if bad > 10 {
					t.Fatal("too many differences")
				}
			}
			for _, g := range got {
				t.Errorf("extra %v", *g)
			}
		})
	}
}

func ep(addr string, port uint16) string { return addr + ":" + strconv.Itoa(int(port)) }

// TestTCPBytesMatchTsharkFollow checks orig_bytes and resp_bytes (TCP sequence space, as Zeek counts payload)
// against the bytes tshark's Follow TCP Stream reassembles for each side, on the golden raw follow outputs:
// equal when the stream has no hole, and missed_bytes is then 0.
func TestTCPBytesMatchTsharkFollow(t *testing.T) {
	files, _ := filepath.Glob("../testdata/golden/follow/*.raw")
	if len(files) < 5 {
		t.Fatalf("%d raw follow files", len(files))
	}
	for _, g := range files {
		base := filepath.Base(g)
		rest := strings.TrimSuffix(base, ".raw")
		stream, _ := strconv.ParseInt(strings.TrimPrefix(filepath.Ext(rest), "."), 10, 64)
		capture := strings.TrimSuffix(rest, filepath.Ext(rest))
		t.Run(base, func(t *testing.T) {
			b, err := os.ReadFile(g)
			if err != nil {
				t.Fatal(err)
			}
			var node0 string
			var bytes [2]int64
			for _, l := range strings.Split(string(b), "\n") {
				switch {
				case strings.HasPrefix(l, "Node 0: "):
					node0 = strings.TrimPrefix(l, "Node 0: ")
				case l == "" || strings.Contains(l, ":") || strings.HasPrefix(l, "="):
				case strings.HasPrefix(l, "\t"):
					bytes[1] += int64(len(l)-1) / 2
				default:
					bytes[0] += int64(len(l)) / 2
				}
			}
			flows, _ := trackFile(t, filepath.Join(pcapDir, capture), flow.Options{})
			for _, f := range flows {
				if f.Proto != 6 || f.Stream != stream {
					continue
				}
				got := [2]int64{f.OrigBytes, f.RespBytes}
				if ep(f.OrigH.String(), f.OrigP) != node0 && "["+f.OrigH.String()+"]:"+strconv.Itoa(int(f.OrigP)) != node0 {
					got[0], got[1] = got[1], got[0]
				}
				if f.MissedBytes == 0 && got != bytes {
					t.Errorf("orig/resp bytes %v, tshark follow %v", got, bytes)
				}
				if f.MissedBytes > 0 && (got[0] < bytes[0] || got[1] < bytes[1]) {
					t.Errorf("with %d missed bytes: %v below tshark's %v", f.MissedBytes, got, bytes)
				}
				if strings.Contains(capture, "missing_packet") && f.MissedBytes != 1420 {
					t.Errorf("missed_bytes %d, want the lost segment's 1420", f.MissedBytes)
				}
				return
			}
			t.Errorf("no flow with stream %d", stream)
		})
	}
}
