package tables_test

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pcapframe/pcapframe/analyzer"
	"github.com/pcapframe/pcapframe/flow"
	"github.com/pcapframe/pcapframe/packet"
	"github.com/pcapframe/pcapframe/pipeline"
	"github.com/pcapframe/pcapframe/schema"
	"github.com/pcapframe/pcapframe/sink"
	"github.com/pcapframe/pcapframe/stream"
	"github.com/pcapframe/pcapframe/tables"
)

const pcapDir = "../testdata/pcaps"

// corpus returns the path of a capture of the repository's corpus; a missing one fails the test.
func corpus(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(pcapDir, name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("capture %s is missing from testdata/pcaps: %v", name, err)
	}
	return p
}

// readBatches decodes captures, in order, into batches that outlive pipeline.Run (packets cloned).
func readBatches(t testing.TB, paths ...string) []*pipeline.Batch {
	t.Helper()
	var out []*pipeline.Batch
	err := pipeline.Run(context.Background(), paths, pipeline.Options{Workers: 1}, func(b *pipeline.Batch) error {
		c := &pipeline.Batch{Source: b.Source, Packets: make([]packet.Packet, len(b.Packets))}
		for i := range b.Packets {
			c.Packets[i] = *b.Packets[i].Clone()
		}
		out = append(out, c)
		return nil
	})
	if err != nil {
		t.Fatalf("read %v: %v", paths, err)
	}
	return out
}

// collect is a Writer that keeps copies of the rows.
type collect[R any] struct{ rows []R }

func (c *collect[R]) Write(rows any) error {
	c.rows = append(c.rows, rows.([]R)...)
	return nil
}
func (c *collect[R]) Close() error { return nil }
func (c *collect[R]) Abort() error { return nil }

// trackerFlows is the flows table as the flows command built it before the driver: one flow.Tracker over every
// frame (AddFrame: tunnels and IP reassembly).
func trackerFlows(t *testing.T, batches []*pipeline.Batch) []flow.Flow {
	var out []flow.Flow
	tr := flow.NewTracker(flow.Options{}, func(f *flow.Flow) error { out = append(out, *f); return nil })
	for _, b := range batches {
		for i := range b.Packets {
			if err := tr.AddFrame(&b.Packets[i], nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	return out
}

// runPass runs a pass over batches and fails the test on error.
func runPass(t *testing.T, batches []*pipeline.Batch, outs []tables.Output, opts tables.Options) tables.Stats {
	t.Helper()
	p, err := tables.NewPass(outs, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range batches {
		if err := p.Batch(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	return p.Stats()
}

var streamCaptures = []string{
	"arkime__wireshark-retrans.pcap",
	"chrissanders__tcp_retransmissions.pcapng",
	"zeek__tcp_handshake-reorder.pcap",
	"zeek__tcp_retransmit-fast009.pcap",
	"seed__find_the_image.pcap",
	"pcapplusplus__Pcap__Test_PcapExamples_four_ipv6_http_streams.pcap",
	"chrissanders__http_espn.pcapng",
}

// TestFlowsMatchTracker checks that the pass gives the flows rows of a lone flow.Tracker (what `pcapframe flows`
// computed before the driver, checked against tshark in package flow), alone, with the packets table, and with
// analyzers that recognise nothing.
func TestFlowsMatchTracker(t *testing.T) {
	for _, name := range append(streamCaptures, "pcapplusplus__ExamplesTest_pcap_examples_many-protocols.pcap", "ndpi__bad-dns-traffic.pcap") {
		t.Run(name, func(t *testing.T) {
			batches := readBatches(t, corpus(t, name))
			want := trackerFlows(t, batches)
			if len(want) == 0 {
				t.Fatal("no flows")
			}
			for _, withOthers := range []bool{false, true} {
				fl := &collect[flow.Flow]{}
				outs := []tables.Output{{Def: tables.Flows, Writer: fl}}
				if withOthers {
					outs = append(outs, tables.Output{Def: tables.Packets, Writer: &collect[packet.Packet]{}},
						tables.Output{Def: probeDef(&probe{}), Writer: &collect[probeRow]{}})
				}
				runPass(t, batches, outs, tables.Options{})
				if !reflect.DeepEqual(fl.rows, want) {
					t.Errorf("others=%v: %d flows, want %d (first difference %s)", withOthers, len(fl.rows), len(want), firstDiff(fl.rows, want))
				}
			}
		})
	}
}

func firstDiff(a, b []flow.Flow) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return fmt.Sprintf("row %d: %+v != %+v", i, a[i], b[i])
		}
	}
	return "length"
}

// probeRow is the row of the probe analyzer's table: one per event.
type probeRow struct{ Event string }

var probeTable = &schema.Table[probeRow]{Name: "probe", Doc: "Events seen by the probe analyzer.", Columns: []schema.Column[probeRow]{
	{Name: "event", Type: schema.String, Doc: "The event.", Default: true, Append: func(r *probeRow, b []byte) ([]byte, bool) { return append(b, r.Event...), true }},
}}

// chunk is one Data or Gap call.
type chunk struct {
	FromOrig    bool
	Data        string
	Gap         int64
	Frame, Time int64
}

// probe is an analyzer test double: it asks for every TCP stream and records what it is given.
type probe struct {
	emit     func(*probeRow) error
	packets  int64
	streamed map[string]int // Stream calls per uid
	ended    map[string]int // FlowEnd calls per uid
	ends     map[string]int // StreamHandler.End calls per uid
	chunks   map[string][]chunk
	flows    map[string]analyzer.Flow
	service  map[string]string // uid -> service to claim
	closed   int
}

func (p *probe) init(emit func(*probeRow) error) *probe {
	p.emit = emit
	p.streamed, p.ended, p.ends = map[string]int{}, map[string]int{}, map[string]int{}
	p.chunks, p.flows = map[string][]chunk{}, map[string]analyzer.Flow{}
	return p
}

func probeDef(p *probe) *tables.Def {
	return tables.Analyzer(probeTable, func(emit func(*probeRow) error) *probe { return p.init(emit) })
}

func (p *probe) Packet(pk *analyzer.Packet) error {
	p.packets++
	if pk.Flow == nil || pk.Flow.UID == "" {
		return fmt.Errorf("packet %d without flow", pk.Frame)
	}
	p.flows[pk.Flow.UID] = *pk.Flow
	return nil
}

func (p *probe) Stream(f *analyzer.Flow) analyzer.StreamHandler {
	p.streamed[f.UID]++
	return &probeStream{p: p, uid: f.UID}
}

func (p *probe) FlowEnd(f *analyzer.Flow) error {
	p.ended[f.UID]++
	return p.emit(&probeRow{Event: "end " + f.UID})
}

func (p *probe) Close() error { p.closed++; return nil }

func (p *probe) Service(uid string) string { return p.service[uid] }

type probeStream struct {
	p   *probe
	uid string
}

func (s *probeStream) Data(fromOrig bool, data []byte, frame, time int64) error {
	s.p.chunks[s.uid] = append(s.p.chunks[s.uid], chunk{FromOrig: fromOrig, Data: string(data), Frame: frame, Time: time})
	return nil
}

func (s *probeStream) Gap(fromOrig bool, n int64, frame, time int64) error {
	s.p.chunks[s.uid] = append(s.p.chunks[s.uid], chunk{FromOrig: fromOrig, Gap: n, Frame: frame, Time: time})
	return nil
}

func (s *probeStream) End() error { s.p.ends[s.uid]++; return nil }

// followChunks reassembles TCP stream n of the capture through the follow code path (stream.Follower, checked
// against tshark's Follow TCP Stream in package stream).
func followChunks(t *testing.T, batches []*pipeline.Batch, n int64) (uid string, out []chunk) {
	var client stream.Side
	fo := stream.NewFollower(stream.Match{Proto: "tcp", Stream: n}, stream.Options{}, func(h stream.Header) (func(*stream.Chunk) error, error) {
		uid = h.UID
		client = stream.Client
		return func(c *stream.Chunk) error {
			ch := chunk{FromOrig: c.Side == client, Gap: c.Gap, Frame: c.Frame, Time: c.Time}
			if c.Gap == 0 {
				ch.Data = string(c.Data)
			}
			out = append(out, ch)
			return nil
		}, nil
	})
	for _, b := range batches {
		for i := range b.Packets {
			if err := fo.Add(&b.Packets[i]); err != nil {
				t.Fatal(err)
			}
		}
	}
	found, _, err := fo.Close()
	if err != nil || !found {
		t.Fatalf("follow tcp stream %d: found %v, %v", n, found, err)
	}
	return uid, out
}

// TestAnalyzerSeesFollow checks what an analyzer receives from the pass on corpus captures with
// retransmissions, reordering and holes: per TCP connection the chunks `pcapframe follow` reassembles (data and
// gaps, in the same order, with the same frames), Stream called once per TCP connection that carries bytes or a
// gap (at the first of them) and never for one that carries none, End once per stream offered,
// FlowEnd once per flow, every packet of every flow, Close once.
func TestAnalyzerSeesFollow(t *testing.T) {
	for _, name := range streamCaptures {
		t.Run(name, func(t *testing.T) {
			batches := readBatches(t, corpus(t, name))
			flows := trackerFlows(t, batches)
			p := &probe{}
			st := runPass(t, batches, []tables.Output{{Def: probeDef(p), Writer: &collect[probeRow]{}}},
				tables.Options{Stream: stream.Options{MaxBuffer: stream.DefaultMaxBuffer}})
			if p.closed != 1 {
				t.Errorf("Close called %d times", p.closed)
			}
			if p.packets != st.Flow.Counted {
				t.Errorf("Packet called %d times, the tracker counted %d packets in flows", p.packets, st.Flow.Counted)
			}
			tcp, offered := 0, 0
			for _, f := range flows {
				uid := f.UID()
				if p.ended[uid] != 1 {
					t.Errorf("flow %s: FlowEnd called %d times", uid, p.ended[uid])
				}
				af := p.flows[uid]
				if af.CommunityID != f.CommunityID() || af.Stream != f.Stream || af.Proto != f.Proto || af.Start != f.TS ||
					af.Orig.Addr() != f.OrigH.Unmap() || af.Orig.Port() != f.OrigP || af.Resp.Addr() != f.RespH.Unmap() || af.Resp.Port() != f.RespP {
					t.Errorf("flow %s: analyzer saw %+v", uid, af)
				}
				if f.Proto != 6 {
					if p.streamed[uid] != 0 {
						t.Errorf("flow %s (proto %d) offered as a stream", uid, f.Proto)
					}
					continue
				}
				tcp++
				// A connection is offered at its first bytes or gap: one that carries none is not (the
				// chunks are checked against follow's below).
				want := 0
				if len(p.chunks[uid]) > 0 {
					want = 1
					offered++
				}
				if p.streamed[uid] != want || p.ends[uid] != want {
					t.Errorf("flow %s: Stream called %d times, End %d times, want %d", uid, p.streamed[uid], p.ends[uid], want)
				}
			}
			if len(p.ended) != len(flows) || len(p.streamed) != offered || st.Streams != int64(tcp) {
				t.Errorf("%d flows ended, %d streams offered (%d reassembled), want %d, %d and %d", len(p.ended), len(p.streamed), st.Streams, len(flows), offered, tcp)
			}
			if offered == 0 {
				t.Error("no connection carried data")
			}
			gaps := 0
			for _, f := range flows {
				if f.Proto != 6 {
					continue
				}
				uid, want := followChunks(t, batches, f.Stream)
				if uid != f.UID() {
					// A flow split by a timeout keeps its stream index; follow takes the first.
					continue
				}
				got := p.chunks[uid]
				if !reflect.DeepEqual(got, want) {
					t.Errorf("tcp stream %d: %d chunks, follow %d", f.Stream, len(got), len(want))
				}
				for _, c := range got {
					if c.Gap > 0 {
						gaps++
					}
				}
			}
			t.Logf("%d flows, %d TCP, %d gaps", len(flows), tcp, gaps)
		})
	}
}

// TestServiceFromAnalyzer checks that an analyzer's service replaces the port-based guess of its flows only.
func TestServiceFromAnalyzer(t *testing.T) {
	batches := readBatches(t, corpus(t, "seed__find_the_image.pcap"))
	want := trackerFlows(t, batches)
	p := &probe{service: map[string]string{want[0].UID(): "probe"}}
	fl := &collect[flow.Flow]{}
	runPass(t, batches, []tables.Output{{Def: tables.Flows, Writer: fl}, {Def: probeDef(p), Writer: &collect[probeRow]{}}}, tables.Options{})
	if len(fl.rows) != len(want) {
		t.Fatalf("%d flows, want %d", len(fl.rows), len(want))
	}
	for i := range want {
		w := want[i]
		if i == 0 {
			w.Service = "probe"
		}
		if fl.rows[i] != w {
			t.Errorf("flow %d: service %q, want %q", i, fl.rows[i].Service, w.Service)
		}
	}
}

// TestMaxStreams checks that the cap on connections reassembled at once holds, and that the flows are still
// ended once each.
func TestMaxStreams(t *testing.T) {
	batches := readBatches(t, corpus(t, "pcapplusplus__Pcap__Test_PcapExamples_four_ipv6_http_streams.pcap"))
	p := &probe{}
	st := runPass(t, batches, []tables.Output{{Def: probeDef(p), Writer: &collect[probeRow]{}}}, tables.Options{MaxStreams: 1})
	if st.SkippedStreams == 0 || st.Streams+st.SkippedStreams != int64(len(p.ended)-countNonTCP(p)) {
		t.Errorf("streams %d, skipped %d, flows %d", st.Streams, st.SkippedStreams, len(p.ended))
	}
}

func countNonTCP(p *probe) int {
	n := 0
	for _, f := range p.flows {
		if f.Proto != 6 {
			n++
		}
	}
	return n
}

// TestListDefs checks the list: unique names, valid schemas, and the order packets, flows, endpoints first.
func TestListDefs(t *testing.T) {
	names := tables.Names()
	if len(names) < 3 || names[0] != "packets" || names[1] != "flows" || names[2] != "endpoints" {
		t.Fatalf("names %v", names)
	}
	seen := map[string]bool{}
	for _, d := range tables.List() {
		if seen[d.Name()] || tables.Lookup(d.Name()) != d {
			t.Errorf("table %s twice or not found", d.Name())
		}
		seen[d.Name()] = true
		if len(d.Info.Names()) == 0 || d.Info.TableDoc() == "" {
			t.Errorf("table %s has no columns or doc", d.Name())
		}
		// Every table can be written in every format.
		for _, f := range []sink.Format{sink.Parquet, sink.CSV, sink.JSONL} {
			w, err := d.NewWriter([]string{"all"}, f, io.Discard, "", sink.Options{})
			if err != nil {
				t.Errorf("table %s, %s: %v", d.Name(), f, err)
				continue
			}
			if err := w.Close(); err != nil {
				t.Errorf("table %s, %s: %v", d.Name(), f, err)
			}
		}
	}
	if _, err := tables.Select([]string{"flows", "nosuch"}); err == nil {
		t.Error("unknown table accepted")
	}
	if _, err := tables.Select([]string{"flows", "flows"}); err == nil {
		t.Error("repeated table accepted")
	}
}

// TestServicesOption checks where flows.service comes from: a run of the flows table alone keeps package flow's
// guess; with the dns table in the run, or with Options.Services, the dns analyzer's answer replaces it. The
// capture's mDNS exchange over fragmented IPv6 (port 5353 to ff02::fb, which is mDNS by RFC 6762) has no guess.
func TestServicesOption(t *testing.T) {
	batches := readBatches(t, corpus(t, "pcapplusplus__Pcap__Test_PcapExamples_ip6_fragments.pcap"))
	dns := tables.Lookup("dns")
	if dns == nil {
		t.Fatal("no dns table in the list")
	}
	mdns := func(rows []flow.Flow) (services []string) {
		for _, f := range rows {
			if f.RespP == 5353 && f.RespH.String() == "ff02::fb" {
				services = append(services, f.Service)
			}
		}
		return services
	}
	for _, tc := range []struct {
		name     string
		withDNS  bool
		services bool
		want     string
	}{
		{"flows alone", false, false, ""},
		{"flows and dns", true, false, "dns"},
		{"flows alone, Services", false, true, "dns"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fl := &collect[flow.Flow]{}
			outs := []tables.Output{{Def: tables.Flows, Writer: fl}}
			if tc.withDNS {
				outs = append(outs, tables.Output{Def: dns, Writer: nop{}})
			}
			runPass(t, batches, outs, tables.Options{Services: tc.services})
			got := mdns(fl.rows)
			if len(got) == 0 {
				t.Fatal("no mDNS flow")
			}
			for _, s := range got {
				if s != tc.want {
					t.Errorf("service %q, want %q", s, tc.want)
				}
			}
		})
	}
}

// filterProbe wants the streams of connections to or from port 80 only (analyzer.StreamFilter).
type filterProbe struct{ *probe }

func (f filterProbe) WantStream(fl *analyzer.Flow) bool {
	return fl.Orig.Port() == 80 || fl.Resp.Port() == 80
}

// TestStreamFilter checks that a connection an analyzer's StreamFilter refuses is neither reassembled nor
// offered, and that the others are offered as without a filter.
func TestStreamFilter(t *testing.T) {
	batches := readBatches(t, corpus(t, "pcapplusplus__ExamplesTest_pcap_examples_many-protocols.pcap"))
	all := &probe{}
	runPass(t, batches, []tables.Output{{Def: probeDef(all), Writer: &collect[probeRow]{}}}, tables.Options{})
	p := &probe{}
	def := tables.Analyzer(probeTable, func(emit func(*probeRow) error) filterProbe { return filterProbe{p.init(emit)} })
	st := runPass(t, batches, []tables.Output{{Def: def, Writer: &collect[probeRow]{}}}, tables.Options{})
	wanted, refused := 0, 0
	for uid, f := range all.flows {
		if f.Proto != 6 {
			continue
		}
		if f.Orig.Port() == 80 || f.Resp.Port() == 80 {
			wanted++
			if p.streamed[uid] != all.streamed[uid] || !reflect.DeepEqual(p.chunks[uid], all.chunks[uid]) {
				t.Errorf("flow %s (port 80): offered %d times, %d chunks; without the filter %d, %d", uid, p.streamed[uid], len(p.chunks[uid]), all.streamed[uid], len(all.chunks[uid]))
			}
			continue
		}
		if all.streamed[uid] > 0 {
			refused++
		}
		if p.streamed[uid] != 0 || p.ends[uid] != 0 {
			t.Errorf("flow %s (ports %d, %d): offered %d times, refused by the filter", uid, f.Orig.Port(), f.Resp.Port(), p.streamed[uid])
		}
	}
	if wanted == 0 || refused == 0 {
		t.Fatalf("%d port-80 connections, %d others with data: the capture does not exercise the filter", wanted, refused)
	}
	if st.Streams != int64(wanted) {
		t.Errorf("%d connections reassembled, want the %d on port 80", st.Streams, wanted)
	}
}

// doneProbe's stream handlers are done after the first data chunk of the connection.
type doneProbe struct{ *probe }

func (d doneProbe) Stream(f *analyzer.Flow) analyzer.StreamHandler {
	return &doneStream{probeStream: d.probe.Stream(f).(*probeStream)}
}

type doneStream struct {
	*probeStream
	seen bool
}

func (s *doneStream) Data(fromOrig bool, data []byte, frame, time int64) error {
	s.seen = true
	return s.probeStream.Data(fromOrig, data, frame, time)
}

func (s *doneStream) Done() bool { return s.seen }

// TestStreamDone checks that a connection whose handlers are all done is no longer reassembled: the handler
// gets the data of the packet that made it done (follow's first chunks, up to that packet), no more, and End
// once.
func TestStreamDone(t *testing.T) {
	batches := readBatches(t, corpus(t, "seed__find_the_image.pcap"))
	p := &probe{}
	def := tables.Analyzer(probeTable, func(emit func(*probeRow) error) doneProbe { return doneProbe{p.init(emit)} })
	st := runPass(t, batches, []tables.Output{{Def: def, Writer: &collect[probeRow]{}}}, tables.Options{Stream: stream.Options{MaxBuffer: stream.DefaultMaxBuffer}})
	if st.DoneStreams == 0 {
		t.Fatal("no stream was stopped")
	}
	for _, f := range trackerFlows(t, batches) {
		uid, want := followChunks(t, batches, f.Stream)
		got := p.chunks[uid]
		if wantEnds := min(len(want), 1); p.ends[uid] != wantEnds {
			t.Errorf("stream %d: End called %d times, want %d", f.Stream, p.ends[uid], wantEnds)
		}
		if len(want) == 0 {
			continue
		}
		// What the handler got is follow's chunks up to the first data chunk's packet.
		first := -1
		for i, c := range want {
			if c.Gap == 0 {
				first = i
				break
			}
		}
		n := first + 1
		for n < len(want) && want[n].Frame == want[first].Frame {
			n++
		}
		if !reflect.DeepEqual(got, want[:n]) {
			t.Errorf("stream %d: got %d chunks, want follow's first %d of %d", f.Stream, len(got), n, len(want))
		}
	}
}

// TestConnReuse checks that a connection analysed after others ended, which reuses their state and their reset
// reassemblers, gets the chunks a fresh reassembler gives it. Short timeouts (50 ms idle, 1 ns linger) end many
// connections early, so that most later ones reuse an ended one's state; the reference is a plain loop over the
// same tracker with a new stream.TCP per connection. The test first checks, from the tracker's own emissions,
// that many TCP flows start after another one ended.
func TestConnReuse(t *testing.T) {
	opts := flow.Options{TCPTimeout: 50 * time.Millisecond, Linger: time.Nanosecond}
	for _, name := range []string{"pcapplusplus__ExamplesTest_pcap_examples_tls2.pcap", "chrissanders__http_espn.pcapng", "zeek__ftp_bruteforce.pcap"} {
		t.Run(name, func(t *testing.T) {
			batches := readBatches(t, corpus(t, name))
			for _, done := range []bool{false, true} {
				// The reference: the tracker, and a fresh reassembler for every TCP flow.
				type ref struct {
					r      *stream.TCP
					chunks []chunk
					done   bool
				}
				refs := map[string]*ref{}
				var order []string
				endedTCP, later := false, 0
				tr := flow.NewTracker(opts, func(f *flow.Flow) error {
					if f.Proto == 6 {
						endedTCP = true
						if r := refs[f.UID()]; r != nil {
							return r.r.Close()
						}
					}
					return nil
				})
				for _, b := range batches {
					for i := range b.Packets {
						err := tr.AddFrame(&b.Packets[i], func(pk *packet.Packet, f *flow.Flow, fromOrig bool) error {
							if f.Proto != 6 {
								return nil
							}
							uid := f.UID()
							r := refs[uid]
							if r == nil {
								if endedTCP {
									later++
								}
								r = &ref{}
								r.r = stream.NewTCP(stream.Options{MaxBuffer: stream.DefaultMaxBuffer, Window: -1}, func(c *stream.Chunk) error {
									if r.done {
										return nil
									}
									ch := chunk{FromOrig: c.Side == stream.Client, Gap: c.Gap, Frame: c.Frame, Time: c.Time}
									if c.Gap == 0 {
										ch.Data = string(c.Data)
										r.done = done // a done handler says so after its first data
									}
									r.chunks = append(r.chunks, ch)
									return nil
								})
								refs[uid] = r
								order = append(order, uid)
							}
							side := stream.Server
							if fromOrig {
								side = stream.Client
							}
							return r.r.Add(pk, side)
						})
						if err != nil {
							t.Fatal(err)
						}
					}
				}
				if err := tr.Close(); err != nil {
					t.Fatal(err)
				}
				if later < 10 {
					t.Fatalf("%d TCP flows start after another ended: the capture does not exercise reuse", later)
				}

				p := &probe{}
				def := probeDef(p)
				if done {
					def = tables.Analyzer(probeTable, func(emit func(*probeRow) error) doneProbe { return doneProbe{p.init(emit)} })
				}
				st := runPass(t, batches, []tables.Output{{Def: def, Writer: &collect[probeRow]{}}},
					tables.Options{Flow: opts, Stream: stream.Options{MaxBuffer: stream.DefaultMaxBuffer}})
				if st.Streams != int64(len(order)) {
					t.Errorf("done %v: %d streams reassembled, the reference %d", done, st.Streams, len(order))
				}
				data := 0
				for _, uid := range order {
					want := refs[uid].chunks
					if got := p.chunks[uid]; !reflect.DeepEqual(got, want) {
						t.Errorf("done %v: flow %s: %d chunks, a fresh reassembler %d", done, uid, len(got), len(want))
					}
					if wantEnds := min(len(want), 1); p.ends[uid] != wantEnds {
						t.Errorf("done %v: flow %s: End called %d times, want %d (offered at its first chunk)", done, uid, p.ends[uid], wantEnds)
					}
					if len(want) > 0 {
						data++
					}
				}
				t.Logf("done %v: %d TCP flows (%d with chunks), %d starting after another ended, %d stopped early", done, len(order), data, later, st.DoneStreams)
			}
		})
	}
}

// slowDigest is a packets-table Writer that takes its time (so that the builder lags behind the flows and the
// batches queue up) and keeps, per row, the frame number and a hash of the frame's bytes as they are when
// written.
type slowDigest struct {
	frames []int64
	sums   []uint64
}

func (s *slowDigest) Write(rows any) error {
	time.Sleep(2 * time.Millisecond)
	for _, p := range rows.([]packet.Packet) {
		h := fnv.New64a()
		h.Write(p.Data)
		s.frames = append(s.frames, p.Frame)
		s.sums = append(s.sums, h.Sum64())
	}
	return nil
}
func (s *slowDigest) Close() error { return nil }
func (s *slowDigest) Abort() error { return nil }

// TestRunKeepsBatches checks that the batch builders, which lag behind on goroutines of their own and keep the
// pipeline's batches meanwhile (pipeline.Batch.Keep), read every frame as it was captured: a slow packets-table
// writer gets the frames, in order, with the bytes of copies made as the batches were read; the flows table is
// the tracker's.
func TestRunKeepsBatches(t *testing.T) {
	// the capture four times: batches enough for the builder to fall behind
	path := corpus(t, "pcapplusplus__ExamplesTest_pcap_examples_many-protocols.pcap")
	inputs := []string{path, path, path, path}
	batches := readBatches(t, inputs...)
	if len(batches) < 2*pipeline.Kept {
		t.Fatalf("%d batches: the inputs do not make the builder lag", len(batches))
	}
	var wantFrames []int64
	var wantSums []uint64
	for _, b := range batches {
		for _, p := range b.Packets {
			h := fnv.New64a()
			h.Write(p.Data)
			wantFrames = append(wantFrames, p.Frame)
			wantSums = append(wantSums, h.Sum64())
		}
	}
	wantFlows := trackerFlows(t, batches)
	for round := range 3 {
		pk := &slowDigest{}
		fl := &collect[flow.Flow]{}
		_, err := tables.Run(context.Background(), inputs, []tables.Output{{Def: tables.Packets, Writer: pk}, {Def: tables.Flows, Writer: fl}}, tables.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(pk.frames, wantFrames) || !slices.Equal(pk.sums, wantSums) {
			t.Fatalf("round %d: %d frames written, want %d; frames or bytes differ", round, len(pk.frames), len(wantFrames))
		}
		if !reflect.DeepEqual(fl.rows, wantFlows) {
			t.Fatalf("round %d: %d flows, want %d", round, len(fl.rows), len(wantFlows))
		}
	}
}

// failingBatch is a packets-table Writer that fails at its second write.
type failingBatch struct{ n int }

func (f *failingBatch) Write(any) error {
	f.n++
	if f.n == 2 {
		return errors.New("disk full")
	}
	return nil
}
func (f *failingBatch) Close() error { return nil }
func (f *failingBatch) Abort() error { return nil }

// TestRunBuilderError checks that a batch builder's error on its own goroutine stops the run with that error.
func TestRunBuilderError(t *testing.T) {
	fl := &collect[flow.Flow]{}
	_, err := tables.Run(context.Background(), []string{corpus(t, "pcapplusplus__ExamplesTest_pcap_examples_many-protocols.pcap")},
		[]tables.Output{{Def: tables.Packets, Writer: &failingBatch{}}, {Def: tables.Flows, Writer: fl}}, tables.Options{})
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("Run: %v, want the writer's error", err)
	}
}

// abortProbe fails at its failAt-th packet (0: never) and counts its Abort and Close calls.
type abortProbe struct {
	*probe
	failAt, aborts int
}

func (a *abortProbe) Packet(pk *analyzer.Packet) error {
	if err := a.probe.Packet(pk); err != nil {
		return err
	}
	if a.failAt > 0 && a.packets == int64(a.failAt) {
		return errors.New("probe failure")
	}
	return nil
}

func (a *abortProbe) Abort() { a.aborts++ }

// TestAbortOnError: after an error stops the pass, Close aborts the analyzers that implement analyzer.Aborter
// (once) instead of closing them; a pass without error closes them and never aborts them.
func TestAbortOnError(t *testing.T) {
	batches := readBatches(t, corpus(t, "seed__find_the_image.pcap"))
	for _, failAt := range []int{0, 10} {
		a := &abortProbe{probe: &probe{}, failAt: failAt}
		def := tables.Analyzer(probeTable, func(emit func(*probeRow) error) *abortProbe { a.init(emit); return a })
		p, err := tables.NewPass([]tables.Output{{Def: def, Writer: &collect[probeRow]{}}}, tables.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var runErr error
		for _, b := range batches {
			if runErr = p.Batch(b); runErr != nil {
				break
			}
		}
		closeErr := p.Close()
		if failAt == 0 {
			if runErr != nil || closeErr != nil || a.aborts != 0 || a.closed != 1 {
				t.Errorf("no failure: run %v, close %v, %d aborts, %d closes", runErr, closeErr, a.aborts, a.closed)
			}
			continue
		}
		if runErr == nil || closeErr == nil || a.aborts != 1 || a.closed != 0 {
			t.Errorf("failure at packet %d: run %v, close %v, %d aborts, %d closes", failAt, runErr, closeErr, a.aborts, a.closed)
		}
	}
}
