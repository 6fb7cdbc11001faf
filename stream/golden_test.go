package stream_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pcapframe/pcapframe/internal/tsharktest"
	"github.com/pcapframe/pcapframe/pipeline"
	"github.com/pcapframe/pcapframe/stream"
)

const (
	pcapDir   = "../testdata/pcaps"
	goldenDir = "../testdata/golden/follow"
)

// follow runs a Follower over a capture and returns what the printer wrote, and the per-side raw bytes.
// sides are in Wireshark's node order: Node 0 (the first packet's source) first.
func follow(t testing.TB, capture string, m stream.Match, format stream.Format, opts stream.Options) (out []byte, sides [2][]byte, st stream.Stats, found bool) {
	t.Helper()
	var buf bytes.Buffer
	var pr *stream.Printer
	var node0 stream.Side
	fo := stream.NewFollower(m, opts, func(h stream.Header) (func(*stream.Chunk) error, error) {
		var err error
		pr, err = stream.NewPrinter(&buf, format, h, [2]bool{true, true})
		node0 = h.Node0
		return func(c *stream.Chunk) error {
			n := 0
			if c.Side != h.Node0 {
				n = 1
			}
			sides[n] = append(sides[n], c.Data...)
			return pr.Chunk(c)
		}, err
	})
	err := pipeline.Run(context.Background(), []string{capture}, pipeline.Options{}, func(b *pipeline.Batch) error {
		for i := range b.Packets {
			if err := fo.Add(&b.Packets[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, context.Canceled) { // pipeline.Run reports its own cancel at the end
		t.Fatal(err)
	}
	found, st, err = fo.Close()
	if err != nil {
		t.Fatal(err)
	}
	if node0 == stream.Server { // stats in node order too
		for _, a := range []*[2]int64{&st.Bytes, &st.Chunks, &st.Gaps, &st.GapBytes, &st.Overlap, &st.Conflicts, &st.Held} {
			a[0], a[1] = a[1], a[0]
		}
	}
	if found {
		if err := pr.Close(st); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes(), sides, st, found
}

// TestFollowMatchesTshark compares Follow with tshark's -z follow output (golden files made by
// scripts/golden-flows.sh): ASCII and hex output byte for byte, raw bytes of each side byte for byte (or, for a
// stream with a hole tshark never gets past, tshark's bytes are a prefix of ours and we report the gap).
func TestFollowMatchesTshark(t *testing.T) {
	goldens, _ := filepath.Glob(filepath.Join(goldenDir, "*"))
	if len(goldens) < 10 {
		t.Fatalf("only %d golden files in %s", len(goldens), goldenDir)
	}
	for _, g := range goldens {
		base := filepath.Base(g)
		ext := filepath.Ext(base)
		rest := strings.TrimSuffix(base, ext)
		n, err := strconv.ParseInt(strings.TrimPrefix(filepath.Ext(rest), "."), 10, 64)
		if err != nil {
			t.Fatalf("%s: %v", base, err)
		}
		capture := strings.TrimSuffix(rest, filepath.Ext(rest))
		format, err := stream.ParseFormat(strings.TrimPrefix(ext, "."))
		if err != nil {
			t.Fatal(err)
		}
		t.Run(base, func(t *testing.T) {
			want, err := os.ReadFile(g)
			if err != nil {
				t.Fatal(err)
			}
			out, sides, st, found := follow(t, filepath.Join(pcapDir, capture), stream.Match{Proto: "tcp", Stream: n}, format, stream.Options{})
			if !found {
				t.Fatalf("stream %d not found", n)
			}
			switch format {
			case stream.Raw:
				ws, err := tsharktest.ParseFollowRaw(want)
				if err != nil {
					t.Fatal(err)
				}
				for s := range 2 {
					if bytes.Equal(sides[s], ws[s]) {
						continue
					}
					if st.Gaps[s] > 0 && bytes.HasPrefix(sides[s], ws[s]) {
						t.Logf("side %d: tshark stops at the gap after %d bytes; we go on to %d bytes with %d gaps", s, len(ws[s]), len(sides[s]), st.Gaps[s])
						continue
					}
					t.Errorf("side %d: got %d bytes, tshark %d; first difference at %d", s, len(sides[s]), len(ws[s]), firstDiff(sides[s], ws[s]))
				}
			default:
				if !bytes.Equal(out, want) {
					i := firstDiff(out, want)
					t.Errorf("output differs from tshark at byte %d:\ngot  %q\nwant %q", i, around(out, i), around(want, i))
				}
			}
		})
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func around(b []byte, i int) []byte {
	return b[max(0, i-80):min(len(b), i+80)]
}
