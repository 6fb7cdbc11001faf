package pipeline_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"

	"github.com/pcapframe/pcapframe/capture"
	"github.com/pcapframe/pcapframe/pipeline"
)

const corpus = "../testdata/pcaps/"

// collect runs the pipeline and returns (source, frame) of every packet in delivery order.
func collect(t *testing.T, inputs []string, workers int) ([][2]any, error) {
	t.Helper()
	var got [][2]any
	err := pipeline.Run(context.Background(), inputs, pipeline.Options{Workers: workers}, func(b *pipeline.Batch) error {
		for i := range b.Packets {
			p := &b.Packets[i]
			if p.Source != b.Source {
				t.Fatalf("packet of %s in a batch of %s", p.Source, b.Source)
			}
			got = append(got, [2]any{p.Source, p.Frame})
		}
		return nil
	})
	return got, err
}

// Packets arrive in input order and frame order whatever the number of workers.
func TestRunOrder(t *testing.T) {
	inputs := []string{
		corpus + "seed__find_the_image.pcap",
		corpus + "chrissanders__synscan.pcapng",
		corpus + "tcpdump__LINKTYPE_IPV4.pcap",
		corpus + "markofu__CounterHack_HackChallenge_Cmas2011.pcap",
	}
	one, err := collect(t, inputs, 1)
	if err != nil {
		t.Fatal(err)
	}
	// MANIFEST.tsv (and tshark): 3641 + 2011 + 1 + 1176 frames.
	if len(one) != 3641+2011+1+1176 {
		t.Fatalf("%d packets", len(one))
	}
	for i := 1; i < len(one); i++ {
		prev, cur := one[i-1], one[i]
		if prev[0] == cur[0] && cur[1].(int64) != prev[1].(int64)+1 {
			t.Fatalf("frame %v follows %v in %v", cur[1], prev[1], cur[0])
		}
	}
	for _, workers := range []int{2, 4} {
		many, err := collect(t, inputs, workers)
		if err != nil {
			t.Fatal(err)
		}
		if len(many) != len(one) {
			t.Fatalf("%d workers: %d packets, want %d", workers, len(many), len(one))
		}
		for i := range one {
			if one[i] != many[i] {
				t.Fatalf("%d workers: packet %d is %v, want %v", workers, i, many[i], one[i])
			}
		}
	}
}

// A damaged input keeps its earlier packets, the other inputs are still read, and the error names the file.
func TestRunDamagedInput(t *testing.T) {
	raw, err := os.ReadFile(corpus + "seed__find_the_image.pcap")
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(t.TempDir(), "cut.pcap")
	os.WriteFile(cut, raw[:len(raw)/3], 0o644)
	got, err := collect(t, []string{cut, corpus + "tcpdump__LINKTYPE_IPV4.pcap"}, 2)
	var ce *capture.Error
	if !errors.As(err, &ce) || ce.Source != cut || !errors.Is(err, capture.ErrTruncated) {
		t.Fatalf("error %v, want a truncation error naming %s", err, cut)
	}
	if n := int64(len(got) - 1); n != ce.Frame || n == 0 {
		t.Errorf("%d packets from the damaged file, error says %d", n, ce.Frame)
	}
	if last := got[len(got)-1]; last[0] != corpus+"tcpdump__LINKTYPE_IPV4.pcap" {
		t.Errorf("the second input was not read: last packet %v", last)
	}
}

// An error from the consumer stops the run and is returned as is.
func TestRunConsumerError(t *testing.T) {
	stop := errors.New("disk full")
	calls := 0
	err := pipeline.Run(context.Background(), []string{corpus + "seed__find_the_image.pcap", corpus + "chrissanders__synscan.pcapng"}, pipeline.Options{},
		func(b *pipeline.Batch) error {
			calls++
			return stop
		})
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("err %v after %d calls, want %v after 1", err, calls, stop)
	}
}

// A cancelled context stops the run with the context's error.
func TestRunCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	err := pipeline.Run(ctx, []string{corpus + "seed__find_the_image.pcap"}, pipeline.Options{}, func(b *pipeline.Batch) error {
		cancel()
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err %v, want context.Canceled", err)
	}
}

func BenchmarkRun(b *testing.B) {
	in := corpus + "seed__find_the_image.pcap"
	st, err := os.Stat(in)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(st.Size())
	var n int
	for b.Loop() {
		pipeline.Run(context.Background(), []string{in}, pipeline.Options{}, func(bt *pipeline.Batch) error {
			n += len(bt.Packets)
			return nil
		})
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "packets/s")
}

// TestRunSummary compares the summaries Run counts while it reads with capture.Summarize's, for captures of
// several formats (pcapng with several interfaces, compressed, damaged) read by one and by several workers.
func TestRunSummary(t *testing.T) {
	raw, err := os.ReadFile(corpus + "seed__find_the_image.pcap")
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(t.TempDir(), "cut.pcap")
	if err := os.WriteFile(cut, raw[:len(raw)/3], 0o644); err != nil {
		t.Fatal(err)
	}
	inputs := []string{corpus + "seed__find_the_image.pcap", corpus + "gopacket__pcapgo_tests_le_test010.pcapng",
		corpus + "chrissanders__http_espn.pcapng", cut, corpus + "tcpdump__LINKTYPE_IPV4.pcap", corpus + "scapy__http_chunk.pcap.gz",
		corpus + "pcapplusplus__Pcap__Test_PcapExamples_file_heuristics_pcapng-example.pcapng.zst"}
	for _, workers := range []int{1, 3} {
		got := make([]*capture.Summary, len(inputs))
		var mu sync.Mutex
		err := pipeline.Run(context.Background(), inputs, pipeline.Options{Workers: workers, Summary: func(i int, s *capture.Summary) {
			mu.Lock()
			defer mu.Unlock()
			if got[i] != nil {
				t.Errorf("input %d summarised twice", i)
			}
			got[i] = s
		}}, func(*pipeline.Batch) error { return nil })
		if !errors.Is(err, capture.ErrTruncated) {
			t.Fatalf("Run: %v, want the truncation of %s", err, cut)
		}
		for i, in := range inputs {
			want, err := capture.Summarize(in)
			if err != nil {
				t.Fatal(err)
			}
			if got[i] == nil {
				t.Fatalf("%d workers: no summary of %s", workers, in)
			}
			if (got[i].Err == nil) != (want.Err == nil) || (want.Err != nil && got[i].Err.Error() != want.Err.Error()) {
				t.Errorf("%d workers, %s: error %v, want %v", workers, in, got[i].Err, want.Err)
			}
			g, w := *got[i], *want
			g.Err, w.Err = nil, nil
			if !reflect.DeepEqual(g, w) {
				t.Errorf("%d workers, %s: summary\n%+v\nwant\n%+v", workers, in, g, w)
			}
		}
	}
}
