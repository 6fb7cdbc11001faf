package sniff

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pcapframe/pcapframe/live"
	"github.com/pcapframe/pcapframe/sink"
	"github.com/pcapframe/pcapframe/tables"
)

// epochNanos converts decimal epoch seconds ("1795632331.556271461") to nanoseconds exactly.
func epochNanos(t *testing.T, v any) int64 {
	t.Helper()
	n, ok := v.(json.Number)
	sec, frac, _ := strings.Cut(n.String(), ".")
	s, err := strconv.ParseInt(sec, 10, 64)
	if !ok || err != nil || len(frac) > 9 {
		t.Fatalf("time %v", v)
	}
	f, _ := strconv.ParseInt((frac + "000000000")[:9], 10, 64)
	return s*1e9 + f
}

// runBounded runs Run and fails the test if it does not return within limit.
func runBounded(t *testing.T, ctx context.Context, src Source, opts Options, limit time.Duration) (Stats, error) {
	t.Helper()
	type result struct {
		st  Stats
		err error
	}
	done := make(chan result, 1)
	go func() {
		st, err := Run(ctx, src, opts)
		done <- result{st, err}
	}()
	select {
	case r := <-done:
		return r.st, r.err
	case <-time.After(limit):
		src.Interrupt()
		t.Fatalf("Run did not return within %v", limit)
		return Stats{}, nil
	}
}

// TestRunFile replays captures the test wrote itself through FileSource into a capture file and tables, and
// checks every output against the frames written: the capture file frame by frame (bytes and times, read back
// by package capture and counted by tshark), the packet table row by row (the file and frame each packet was
// written to), the flows (one per source port, with the packets sent on it) and the endpoints.
func TestRunFile(t *testing.T) {
	for _, tc := range []struct {
		name       string
		in         string // input capture: in.pcap or in.pcapng
		n, ports   int    // frames of the input, source ports they use in turn
		count      int64
		file       string // capture file written, "" none
		rotateSize int64
		keep       int
		tables     []string
	}{
		{name: "pcapng to pcapng and tables", in: "in.pcapng", n: 20000, ports: 7, file: "out.pcapng", tables: []string{"packets", "flows"}},
		{name: "count across batches", in: "in.pcap", n: 20000, ports: 5, count: 12345, file: "out.pcap", tables: []string{"packets", "flows"}},
		{name: "tables only", in: "in.pcap", n: 3000, ports: 3, tables: []string{"flows", "packets", "endpoints"}},
		{name: "file only", in: "in.pcap", n: 100, ports: 1, file: "out.pcapng"},
		{name: "rotation", in: "in.pcapng", n: 5000, ports: 2, file: "ring.pcap", rotateSize: 64 << 10, keep: 2, tables: []string{"packets"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			in := filepath.Join(dir, tc.in)
			sent := testTraffic(tc.n, tc.ports)
			writeCapture(t, in, sent)
			src, err := OpenFile(in)
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			out := filepath.Join(dir, "tables")
			outs, err := CreateTables(out, tc.tables, sink.JSONL)
			if len(tc.tables) == 0 {
				outs, err = nil, nil
			}
			if err != nil {
				t.Fatal(err)
			}
			opts := Options{Count: tc.count, Tables: outs, Wait: true}
			if tc.file != "" {
				opts.File = filepath.Join(dir, tc.file)
				opts.FileOptions = live.WriterOptions{RotateSize: tc.rotateSize, Keep: tc.keep}
			}
			st, err := runBounded(t, context.Background(), src, opts, 60*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			want := int64(tc.n)
			if tc.count > 0 {
				want = tc.count
			}
			var wantBytes int64
			for _, f := range sent[:want] {
				wantBytes += int64(len(f.data))
			}
			if st.Captured != want || st.Bytes != wantBytes || st.QueueDrops != 0 || st.TableDrops != 0 || st.Source.Received < uint64(want) {
				t.Fatalf("stats %+v; want %d frames, %d bytes, no drops", st, want, wantBytes)
			}

			// The capture file(s): the frames sent, in order; when rotating, the last ones.
			type where struct {
				file  string
				frame int64
			}
			written := map[where]testFrame{}
			if tc.file != "" {
				if tc.keep > 0 && len(st.Files) != tc.keep || tc.keep == 0 && len(st.Files) != 1 {
					t.Fatalf("files %v", st.Files)
				}
				var got []testFrame
				for _, f := range st.Files {
					recs := readCapture(t, f)
					if n := len(tsharkFields(t, f, "", "frame.number")); n != len(recs) {
						t.Fatalf("%s: tshark reads %d frames, package capture %d", f, n, len(recs))
					}
					for _, r := range recs {
						got = append(got, testFrame{time: r.Time, data: r.Data})
						written[where{f, r.Frame}] = testFrame{time: r.Time, data: r.Data}
					}
				}
				first := int(want) - len(got)
				if first < 0 || tc.keep == 0 && first != 0 {
					t.Fatalf("capture files hold %d frames, %d captured", len(got), want)
				}
				for i, g := range got {
					if s := sent[first+i]; g.time != s.time || !bytes.Equal(g.data, s.data) {
						t.Fatalf("frame %d of the files is not frame %d sent", i+1, first+i+1)
					}
				}
			}

			for _, name := range tc.tables {
				rows := readJSONL(t, TablePath(out, name, sink.JSONL))
				switch name {
				case "packets":
					if int64(len(rows)) != want {
						t.Fatalf("%d packet rows, want %d", len(rows), want)
					}
					found := 0
					for i, r := range rows {
						frame, _ := r["frame"].(json.Number).Int64()
						tm := epochNanos(t, r["time"])
						if tc.file == "" {
							if r["source"] != in || frame != int64(i+1) || tm != sent[i].time {
								t.Fatalf("packet row %d: source %v frame %d time %d; want %s, %d, %d", i, r["source"], frame, tm, in, i+1, sent[i].time)
							}
							continue
						}
						if tm != sent[i].time {
							t.Fatalf("packet row %d: time %d, want %d", i, tm, sent[i].time)
						}
						if f, ok := written[where{r["source"].(string), frame}]; ok {
							found++
							if f.time != tm {
								t.Fatalf("packet row %d names frame %d of %v, whose time is %d, not %d", i, frame, r["source"], f.time, tm)
							}
						} else if tc.keep == 0 {
							t.Fatalf("packet row %d names frame %d of %v, which is not there", i, frame, r["source"])
						}
					}
					if found != len(written) {
						t.Fatalf("%d packet rows name a frame of the kept files, which hold %d", found, len(written))
					}
				case "flows":
					perPort := map[string]int64{}
					for i := range want {
						perPort[strconv.Itoa(1000+int(i)%tc.ports)]++
					}
					if len(rows) != tc.ports {
						t.Fatalf("%d flows, want %d (one per source port)", len(rows), tc.ports)
					}
					for _, r := range rows {
						port, pkts := r["orig_p"].(json.Number).String(), r["orig_pkts"].(json.Number).String()
						if r["orig_h"] != "10.0.0.1" || r["resp_h"] != "10.0.0.2" || pkts != strconv.FormatInt(perPort[port], 10) {
							t.Errorf("flow %v: %s packets from port %s; want %d", r["uid"], pkts, port, perPort[port])
						}
					}
				case "endpoints":
					if len(rows) != 2 || rows[0]["addr"] != "10.0.0.1" || rows[1]["addr"] != "10.0.0.2" {
						t.Fatalf("endpoints %v, want 10.0.0.1 and 10.0.0.2", rows)
					}
				}
			}
		})
	}
}

// TestRunDNS replays a real capture of DNS queries into the dns table and checks it against tshark: one row
// per query, with its transaction id and name, one flow per query (each from its own port).
func TestRunDNS(t *testing.T) {
	const in = "../../testdata/pcaps/dmachard__dnscat2.pcap"
	src, err := OpenFile(in)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dir := t.TempDir()
	outs, err := CreateTables(dir, []string{"packets", "flows", "dns"}, sink.JSONL)
	if err != nil {
		t.Fatal(err)
	}
	st, err := runBounded(t, context.Background(), src, Options{Tables: outs, Wait: true}, 60*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	frames := tsharkFields(t, in, "", "frame.number")
	queries := tsharkFields(t, in, "dns.flags.response == 0", "dns.id", "dns.qry.name", "udp.stream")
	if st.Captured != int64(len(frames)) || len(readJSONL(t, TablePath(dir, "packets", sink.JSONL))) != len(frames) {
		t.Fatalf("captured %d frames, tshark reads %d", st.Captured, len(frames))
	}
	streams := map[string]bool{}
	for _, q := range queries {
		streams[q[2]] = true
	}
	if flows := readJSONL(t, TablePath(dir, "flows", sink.JSONL)); len(flows) != len(streams) {
		t.Errorf("%d flows, tshark sees %d UDP streams", len(flows), len(streams))
	}
	dns := readJSONL(t, TablePath(dir, "dns", sink.JSONL))
	if len(dns) != len(queries) || len(queries) == 0 {
		t.Fatalf("%d dns rows, tshark sees %d queries", len(dns), len(queries))
	}
	for i, r := range dns {
		id, _ := strconv.ParseInt(strings.TrimPrefix(queries[i][0], "0x"), 16, 64)
		if r["trans_id"].(json.Number).String() != strconv.FormatInt(id, 10) || r["query"] != queries[i][1] {
			t.Errorf("dns row %d: id %v query %v; tshark: %d %s", i, r["trans_id"], r["query"], id, queries[i][1])
		}
	}
}

// TestRunStops checks each stop condition with a source that never ends on its own (or ends as told).
func TestRunStops(t *testing.T) {
	for _, tc := range []struct {
		name     string
		src      *fakeSource
		count    int64
		duration time.Duration
		cancel   time.Duration // cancel ctx after this long
		want     int64         // frames captured, -1: some
		wantErr  string
		minTime  time.Duration
	}{
		{name: "count within a batch", src: newFakeSource(1000, -1), count: 10, want: 10},
		{name: "count across batches", src: newFakeSource(8192, -1), count: 50000, want: 50000},
		{name: "end of source", src: newFakeSource(300, 1000), want: 1000},
		{name: "count beyond the end", src: newFakeSource(300, 1000), count: 5000, want: 1000},
		{name: "duration", src: &fakeSource{idle: true, interrupts: make(chan struct{}, 1)}, duration: 300 * time.Millisecond, want: 0, minTime: 300 * time.Millisecond},
		{name: "cancel", src: &fakeSource{idle: true, interrupts: make(chan struct{}, 1)}, cancel: 200 * time.Millisecond, want: 0, minTime: 200 * time.Millisecond},
		{name: "source error", src: func() *fakeSource {
			s := newFakeSource(100, 500)
			s.err = errors.New("device went away")
			return s
		}(), want: 500, wantErr: `capture on "fake0": device went away`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			w := &countWriter{}
			opts := Options{Count: tc.count, Duration: tc.duration, File: filepath.Join(dir, "c.pcapng"), Wait: true,
				Tables: []tables.Output{{Def: tables.Packets, Writer: w}}}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.cancel > 0 {
				time.AfterFunc(tc.cancel, cancel)
			}
			start := time.Now()
			st, err := runBounded(t, ctx, tc.src, opts, 30*time.Second)
			took := time.Since(start)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || err.Error() != tc.wantErr) {
				t.Fatalf("error %v, want %q", err, tc.wantErr)
			}
			if st.Captured != tc.want || took < tc.minTime {
				t.Fatalf("captured %d frames in %v, want %d in at least %v", st.Captured, took, tc.want, tc.minTime)
			}
			if st.Source.Dropped != 7 {
				t.Errorf("source counters %+v not reported", st.Source)
			}
			rows, closed, aborted := w.state()
			if recs := readCapture(t, opts.File); int64(len(recs)) != tc.want || int64(rows) != tc.want || !closed || aborted {
				t.Fatalf("file %d frames, table %d rows (closed %v, aborted %v); want %d and a closed table", len(recs), rows, closed, aborted, tc.want)
			}
		})
	}
}

// TestRunDrops feeds a table writer slower than the source: a live capture drops whole batches and counts
// them, so that every frame captured is either in the outputs or counted; with Wait nothing is dropped.
func TestRunDrops(t *testing.T) {
	for _, tc := range []struct {
		name string
		file bool
		wait bool
	}{
		{"drop, tables only", false, false},
		{"drop, file and tables", true, false},
		{"wait", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const count = 40 * 8192
			w := &countWriter{delay: 5 * time.Millisecond}
			opts := Options{Count: count, Wait: tc.wait, Tables: []tables.Output{{Def: tables.Packets, Writer: w}}}
			if tc.file {
				opts.File = filepath.Join(t.TempDir(), "d.pcap")
			}
			st, err := runBounded(t, context.Background(), newFakeSource(8192, -1), opts, 120*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			rows, _, _ := w.state()
			inFile := st.Captured - st.QueueDrops
			if tc.file {
				inFile = int64(len(readCapture(t, opts.File)))
			}
			if st.Captured != count || inFile != st.Captured-st.QueueDrops || int64(rows) != inFile-st.TableDrops {
				t.Fatalf("stats %+v: %d frames in the file, %d rows; every frame must be written or counted", st, inFile, rows)
			}
			if tc.wait && (st.QueueDrops != 0 || st.TableDrops != 0) || !tc.wait && st.QueueDrops+st.TableDrops == 0 {
				t.Fatalf("drops %d + %d with wait %v", st.QueueDrops, st.TableDrops, tc.wait)
			}
			if !tc.file && st.TableDrops != 0 {
				t.Errorf("without a file, drops count as QueueDrops: %+v", st)
			}
		})
	}
}

// TestRunFailures checks what is kept when an output fails: a table writer error stops the capture and
// removes every table (they would not match), but keeps the capture file; a capture file that cannot be
// created removes the tables before anything is captured.
func TestRunFailures(t *testing.T) {
	t.Run("table writer", func(t *testing.T) {
		dir := t.TempDir()
		bad, good := &countWriter{failAt: 3}, &countWriter{}
		opts := Options{File: filepath.Join(dir, "f.pcapng"), Wait: true,
			Tables: []tables.Output{{Def: tables.Packets, Writer: bad}, {Def: tables.Flows, Writer: good}}}
		st, err := runBounded(t, context.Background(), newFakeSource(2000, -1), opts, 30*time.Second)
		if err == nil || !errors.Is(err, errWriterFull) || !strings.HasPrefix(err.Error(), "write tables: ") {
			t.Fatalf("error %v", err)
		}
		for i, w := range []*countWriter{bad, good} {
			if _, closed, aborted := w.state(); closed || !aborted {
				t.Errorf("writer %d: closed %v aborted %v; want aborted", i, closed, aborted)
			}
		}
		if recs := readCapture(t, opts.File); len(recs) == 0 || int64(len(recs)) > st.Captured {
			t.Errorf("capture file has %d frames of %d captured", len(recs), st.Captured)
		}
	})
	t.Run("capture file", func(t *testing.T) {
		w := &countWriter{}
		opts := Options{File: filepath.Join(t.TempDir(), "no", "such", "dir", "f.pcap"),
			Tables: []tables.Output{{Def: tables.Packets, Writer: w}}}
		src := newFakeSource(10, -1)
		_, err := Run(context.Background(), src, opts)
		if err == nil || !strings.Contains(err.Error(), "no such file or directory") {
			t.Fatalf("error %v", err)
		}
		if _, closed, aborted := w.state(); closed || !aborted || src.sent != 0 {
			t.Errorf("closed %v aborted %v, %d frames read; want the table aborted before capturing", closed, aborted, src.sent)
		}
	})
	t.Run("same table twice", func(t *testing.T) {
		a, b := &countWriter{}, &countWriter{}
		file := filepath.Join(t.TempDir(), "never.pcap")
		_, err := Run(context.Background(), newFakeSource(10, -1), Options{Count: 1, File: file,
			Tables: []tables.Output{{Def: tables.Flows, Writer: a}, {Def: tables.Flows, Writer: b}}})
		if err == nil || !strings.Contains(err.Error(), "selected twice") {
			t.Fatalf("error %v", err)
		}
		if _, err := os.Stat(file); err == nil {
			t.Error("the capture file was created by a run that could not start")
		}
		if _, _, aborted := a.state(); !aborted {
			t.Error("writers not aborted")
		}
	})
	t.Run("negative count", func(t *testing.T) {
		a := &countWriter{}
		if _, err := Run(context.Background(), newFakeSource(10, -1), Options{Count: -1,
			Tables: []tables.Output{{Def: tables.Flows, Writer: a}}}); err == nil {
			t.Fatal("accepted")
		}
		if _, _, aborted := a.state(); !aborted {
			t.Error("writer not aborted")
		}
	})
}

// TestRunProgress checks that Progress is called while capturing, with counts that only grow.
func TestRunProgress(t *testing.T) {
	src := newFakeSource(10, -1)
	src.pace = 10 * time.Millisecond
	var calls []Stats
	opts := Options{Duration: 2500 * time.Millisecond, Progress: func(st Stats) { calls = append(calls, st) }}
	st, err := runBounded(t, context.Background(), src, opts, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) < 1 || len(calls) > 3 {
		t.Fatalf("%d progress calls in 2.5s, want 1 to 3 (every %v)", len(calls), ProgressInterval)
	}
	for i, c := range calls {
		if c.Captured == 0 || c.Captured > st.Captured || i > 0 && c.Captured < calls[i-1].Captured || c.Source.Dropped != 7 {
			t.Errorf("progress %d: %+v (final %+v)", i, c, st)
		}
	}
}

// TestCreateTables checks the files and column selections CreateTables opens, and its errors.
func TestCreateTables(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	outs, err := CreateTables(dir, []string{"packets", "dns"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(outs) != 2 || outs[0].Def != tables.Packets || outs[1].Def.Name() != "dns" {
		t.Fatalf("outputs %v", outs)
	}
	src, err := OpenFile("../../testdata/pcaps/ndpi__dns-exf.pcap")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if _, err := Run(context.Background(), src, Options{Tables: outs, Wait: true}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"packets.parquet", "dns.parquet"} {
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("%d files in the directory, want 2 (no temporary file left)", len(entries))
	}
	if _, err := CreateTables(t.TempDir(), []string{"packets", "nope"}, sink.JSONL); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("unknown table: %v", err)
	}
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o666)
	if _, err := CreateTables(file, []string{"flows"}, sink.JSONL); err == nil {
		t.Error("a file as the directory was accepted")
	}
	if got, want := TablePath("d", "flows", sink.CSV), filepath.Join("d", "flows.csv"); got != want {
		t.Errorf("TablePath = %q, want %q", got, want)
	}
}
