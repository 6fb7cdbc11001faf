package query

import (
	"bufio"
	"context"
	"encoding/hex"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// load opens an in-memory engine with the packets of the captures.
func load(t testing.TB, names ...string) *Engine {
	t.Helper()
	ctx := context.Background()
	e, err := Open(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	var paths []string
	for _, n := range names {
		paths = append(paths, corpusFile(t, n))
	}
	if _, err := e.Load(ctx, paths, LoadOptions{}); err != nil {
		t.Fatal(err)
	}
	return e
}

// rows runs q and returns its rows as text.
func rows(t testing.TB, e *Engine, q string) [][]string {
	t.Helper()
	out, err := queryRows(e, q)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// queryRows runs q and returns its rows as text, or the error.
func queryRows(e *Engine, q string) ([][]string, error) {
	res, err := e.Query(context.Background(), q)
	if err != nil {
		return nil, err
	}
	defer res.Close()
	var out [][]string
	for res.Next() {
		var r []string
		for _, v := range res.Values() {
			r = append(r, formatValue(v))
		}
		out = append(out, r)
	}
	return out, res.Err()
}

func section(t testing.TB, rep *Report, name string) SectionResult {
	t.Helper()
	for _, s := range rep.Sections {
		if s.Name == name {
			if s.Skipped != "" {
				t.Fatalf("section %s skipped: %s", name, s.Skipped)
			}
			return s
		}
	}
	t.Fatalf("no section %s", name)
	return SectionResult{}
}

func cell(t testing.TB, s SectionResult, row int, col string) string {
	t.Helper()
	i := slices.IndexFunc(s.Columns, func(c ColumnInfo) bool { return c.Name == col })
	if i < 0 {
		t.Fatalf("section %s has no column %s", s.Name, col)
	}
	return formatValue(s.Rows[row][i])
}

// TestNotebookSeed checks the numbers the notebook printed for its capture (issue 4).
func TestNotebookSeed(t *testing.T) {
	e := load(t, "seed__find_the_image.pcap")
	rep, err := e.Stats(context.Background(), StatsOptions{Top: 100})
	if err != nil {
		t.Fatal(err)
	}
	if got := cell(t, section(t, rep, "summary"), 0, "packets"); got != "3641" {
		t.Errorf("rows = %s, want 3641", got)
	}
	desc := section(t, rep, "describe_text")
	want := map[string][4]string{
		"src": {"3641", "5", "192.168.1.6", "1555"},
		"dst": {"3641", "5", "192.168.1.6", "2086"},
	}
	for r := range desc.Rows {
		col := cell(t, desc, r, "column")
		w, ok := want[col]
		if !ok {
			continue
		}
		got := [4]string{cell(t, desc, r, "count"), cell(t, desc, r, "unique"), cell(t, desc, r, "top"), cell(t, desc, r, "freq")}
		if got != w {
			t.Errorf("describe %s = %v, want %v", col, got, w)
		}
		delete(want, col)
	}
	if len(want) > 0 {
		t.Errorf("describe_text lacks %v", want)
	}
	// The notebook lists the peers and ports with pandas' unique(): in order of first appearance.
	peers := section(t, rep, "talker_peers")
	slices.SortFunc(peers.Rows, func(a, b []any) int { return a[5].(time.Time).Compare(b[5].(time.Time)) })
	var got []string
	for r := range peers.Rows {
		if tk := cell(t, peers, r, "talker"); tk != "192.168.1.6" {
			t.Fatalf("talker = %s, want 192.168.1.6", tk)
		}
		got = append(got, cell(t, peers, r, "peer"))
	}
	if w := []string{"192.168.1.100", "173.194.39.63", "173.194.34.41", "173.194.34.46"}; !slices.Equal(got, w) {
		t.Errorf("talker peers = %v, want %v", got, w)
	}
	ports := section(t, rep, "talker_ports")
	slices.SortFunc(ports.Rows, func(a, b []any) int { return a[7].(time.Time).Compare(b[7].(time.Time)) })
	got = nil
	for r := range ports.Rows {
		got = append(got, cell(t, ports, r, "dport"))
	}
	if w := []string{"5050", "443", "7070"}; !slices.Equal(got, w) {
		t.Errorf("talker ports = %v, want %v", got, w)
	}
}

const golden = "../../testdata/golden/stats"

// goldenCaptures are the captures with tshark's answers in testdata/golden/stats (scripts/golden-stats.sh).
var goldenCaptures = []string{
	"seed__find_the_image.pcap",
	"pcapplusplus__ExamplesTest_pcap_examples_many-protocols.pcap",
	"pcapplusplus__Pcap__Test_PcapExamples_DnsPackets.pcap",
	"chrissanders__http_espn.pcapng",
	"chrissanders__icmp_traceroute.pcapng",
	"chrissanders__arppoison.pcapng",
}

func goldenFile(t *testing.T, capture, suffix string) string {
	t.Helper()
	p := filepath.Join(golden, strings.TrimSuffix(capture, filepath.Ext(capture))+suffix)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("golden file: %v (regenerate with scripts/golden-stats.sh)", err)
	}
	return string(b)
}

var phsLine = regexp.MustCompile(`^(\s*)(\S+)\s+frames:(\d+) bytes:(\d+)$`)

// parsePHS turns tshark's io,phs tree into path -> "frames bytes".
func parsePHS(text string) map[string]string {
	out := map[string]string{}
	var stack []string
	for _, line := range strings.Split(text, "\n") {
		m := phsLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		depth := len(m[1]) / 2
		stack = append(stack[:min(depth, len(stack))], m[2])
		out[strings.Join(stack, ":")] = m[3] + " " + m[4]
	}
	return out
}

// TestProtocolHierarchyMatchesTshark compares every node of the protocols section with the node of the same
// path in tshark -z io,phs: same frames, same bytes. tshark names protocols that pcapframe does not decode (tls,
// http, ...) below them; those are not compared.
func TestProtocolHierarchyMatchesTshark(t *testing.T) {
	for _, c := range goldenCaptures {
		t.Run(c, func(t *testing.T) {
			want := parsePHS(goldenFile(t, c, ".phs.txt"))
			e := load(t, c)
			rep, err := e.Stats(context.Background(), StatsOptions{Only: []string{"protocols"}})
			if err != nil {
				t.Fatal(err)
			}
			s := section(t, rep, "protocols")
			if len(s.Rows) == 0 {
				t.Fatal("no protocol rows")
			}
			for r := range s.Rows {
				path := cell(t, s, r, "path")
				got := cell(t, s, r, "frames") + " " + cell(t, s, r, "bytes")
				w, ok := want[path]
				if !ok {
					t.Errorf("path %s (%s) is not in tshark's hierarchy", path, got)
					continue
				}
				if got != w {
					t.Errorf("path %s: frames bytes = %s, tshark %s", path, got, w)
				}
			}
		})
	}
}

// TestTimelineMatchesTshark compares the timeline at 10 s with tshark -z io,stat,10.
func TestTimelineMatchesTshark(t *testing.T) {
	row := regexp.MustCompile(`^\|\s*(\d+)(?:\.0+)?\s*<>\s*([\d.]+|Dur)\s*\|\s*(\d+)\s*\|\s*(\d+)\s*\|$`)
	for _, c := range goldenCaptures {
		p := filepath.Join(golden, strings.TrimSuffix(c, filepath.Ext(c))+".iostat.txt")
		if _, err := os.Stat(p); err != nil {
			continue
		}
		t.Run(c, func(t *testing.T) {
			var want []string
			for _, line := range strings.Split(goldenFile(t, c, ".iostat.txt"), "\n") {
				if m := row.FindStringSubmatch(strings.TrimSpace(line)); m != nil {
					want = append(want, m[1]+" "+m[3]+" "+m[4])
				}
			}
			e := load(t, c)
			rep, err := e.Stats(context.Background(), StatsOptions{Interval: 10 * time.Second, Only: []string{"timeline"}})
			if err != nil {
				t.Fatal(err)
			}
			s := section(t, rep, "timeline")
			var got []string
			for r := range s.Rows {
				got = append(got, cell(t, s, r, "start_s")+" "+cell(t, s, r, "packets")+" "+cell(t, s, r, "bytes"))
			}
			if !slices.Equal(got, want) {
				t.Errorf("timeline:\n got %v\nwant %v", got, want)
			}
		})
	}
}

// TestPayloadSumsMatchTshark checks the payload sums per address and port (the notebook's groupby sums) against
// sums of tshark's tcp.len and udp.length - 8, over the TCP and UDP packets.
func TestPayloadSumsMatchTshark(t *testing.T) {
	for _, c := range goldenCaptures {
		t.Run(c, func(t *testing.T) {
			want := map[string]string{}
			sc := bufio.NewScanner(strings.NewReader(goldenFile(t, c, ".sums.tsv")))
			for sc.Scan() {
				f := strings.Split(sc.Text(), "\t")
				want[f[0]+" "+f[1]] = f[2] + " " + f[3]
			}
			e := load(t, c)
			ctx := context.Background()
			// The sections run over the TCP and UDP packets only, as tshark's sums.
			for _, s := range []string{"ALTER VIEW packets RENAME TO all_packets", // captures load as views over staged Parquet
				"CREATE VIEW packets AS SELECT * FROM all_packets WHERE proto IN (6, 17) AND sport IS NOT NULL"} {
				if err := e.Exec(ctx, s); err != nil {
					t.Fatal(err)
				}
			}
			rep, err := e.Stats(ctx, StatsOptions{Top: 1 << 30, Only: []string{"src_payload", "dst_payload", "sport", "dport"}})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, s := range rep.Sections {
				kind := strings.TrimSuffix(s.Name, "_payload")
				key := kind
				if kind == "sport" || kind == "dport" {
					key = "port"
				}
				for r := range s.Rows {
					k := kind + " " + cell(t, s, r, key)
					if _, dup := got[k]; dup && (kind == "sport" || kind == "dport") {
						// A port used by both TCP and UDP: tshark's sums add them up.
						old := strings.Fields(got[k])
						got[k] = addText(old[0], cell(t, s, r, "packets")) + " " + addText(old[1], cell(t, s, r, "payload"))
						continue
					}
					got[k] = cell(t, s, r, "packets") + " " + cell(t, s, r, "payload")
				}
			}
			if len(want) == 0 && len(got) == 0 {
				return
			}
			for k, w := range want {
				if got[k] != w {
					t.Errorf("%s: packets payload = %q, tshark %q", k, got[k], w)
				}
			}
			for k := range got {
				if _, ok := want[k]; !ok {
					t.Errorf("%s: %s not in tshark's sums", k, got[k])
				}
			}
		})
	}
}

func addText(a, b string) string {
	x, _ := strconv.ParseInt(a, 10, 64)
	y, _ := strconv.ParseInt(b, 10, 64)
	return strconv.FormatInt(x+y, 10)
}

// TestDescribeMatchesGo recomputes describe for a few columns in Go (sample std, pandas' linear quantiles).
func TestDescribeMatchesGo(t *testing.T) {
	e := load(t, "seed__find_the_image.pcap")
	for _, col := range []string{"wirelen", "payload", "ttl", "window"} {
		t.Run(col, func(t *testing.T) {
			var xs []float64
			for _, r := range rows(t, e, "SELECT "+quoteIdent(col)+" FROM packets WHERE "+quoteIdent(col)+" IS NOT NULL") {
				x, _ := strconv.ParseFloat(r[0], 64)
				xs = append(xs, x)
			}
			slices.Sort(xs)
			n := float64(len(xs))
			var sum float64
			for _, x := range xs {
				sum += x
			}
			mean := sum / n
			var ss float64
			for _, x := range xs {
				ss += (x - mean) * (x - mean)
			}
			q := func(p float64) float64 { // numpy's linear method
				h := (n - 1) * p
				lo := int(h)
				if lo+1 >= len(xs) {
					return xs[lo]
				}
				return xs[lo] + (h-float64(lo))*(xs[lo+1]-xs[lo])
			}
			want := []string{fmt.Sprint(len(xs)), formatFloat(mean), formatFloat(sqrt(ss / (n - 1))), formatFloat(xs[0]),
				formatFloat(q(.25)), formatFloat(q(.5)), formatFloat(q(.75)), formatFloat(xs[len(xs)-1])}
			got := rows(t, e, DescribeNumbersSQL([]ColumnInfo{{col, "INTEGER"}}, 1))[0][1:]
			if !slices.Equal(got, want) {
				t.Errorf("describe %s = %v, want %v", col, got, want)
			}
		})
	}
}

// linearQuantile is numpy's linear quantile (pandas' default) of sorted xs.
func linearQuantile(xs []float64, p float64) float64 {
	h := float64(len(xs)-1) * p
	lo := int(h)
	if lo+1 >= len(xs) {
		return xs[lo]
	}
	return xs[lo] + (h-float64(lo))*(xs[lo+1]-xs[lo])
}

// describeRows returns the rows of a describe section by column name, as text.
func describeRows(t *testing.T, s SectionResult) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for r := range s.Rows {
		var row []string
		for _, v := range s.Rows[r] {
			row = append(row, formatValue(v))
		}
		out[row[0]] = row[1:]
	}
	return out
}

// TestDescribeApproximate runs describe on a table larger than ApproxRows: everything but the quartiles must
// equal the exact describe (binary columns grouped by hash included), and the quartiles must be pandas' linear
// quantiles, computed here in Go, of exactly the sampled rows, and close to those of all rows.
func TestDescribeApproximate(t *testing.T) {
	e := load(t, "seed__find_the_image.pcap")
	ctx := context.Background()
	only := []string{"describe_numbers", "describe_text"}
	exact, err := e.Stats(ctx, StatsOptions{Only: only, ApproxRows: 500, Exact: true})
	if err != nil {
		t.Fatal(err)
	}
	approx, err := e.Stats(ctx, StatsOptions{Only: only, ApproxRows: 500})
	if err != nil {
		t.Fatal(err)
	}
	if exact.Approximate || !approx.Approximate || approx.SampleEvery != 8 || approx.Rows != 3641 {
		t.Fatalf("approximate = %v/%v, every %d, rows %d; want false/true, 8, 3641", exact.Approximate, approx.Approximate, approx.SampleEvery, approx.Rows)
	}
	again, err := e.Stats(ctx, StatsOptions{Only: only, ApproxRows: 500})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("text", func(t *testing.T) {
		want, got := describeRows(t, section(t, exact, "describe_text")), describeRows(t, section(t, approx, "describe_text"))
		if len(got) != len(want) || len(want) < 20 {
			t.Fatalf("%d text columns, want %d", len(got), len(want))
		}
		// payload_raw is grouped by hash, and so is payload_hex, by the hash of payload_raw: no row's payload is
		// hex-encoded.
		q := section(t, approx, "describe_text").Query
		if !strings.Contains(q, "hash("+quoteIdent("payload_raw")+")") || strings.Contains(q, "hash("+quoteIdent("payload_hex")+")") {
			t.Errorf("payload_raw and payload_hex are not grouped by the hash of payload_raw:\n%s", q)
		}
		for col, w := range want {
			if !slices.Equal(got[col], w) {
				t.Errorf("%s: approximate %v, exact %v", col, got[col], w)
			}
		}
	})

	num := section(t, approx, "describe_numbers")
	want, got := describeRows(t, section(t, exact, "describe_numbers")), describeRows(t, num)
	if !reflect.DeepEqual(got, describeRows(t, section(t, again, "describe_numbers"))) {
		t.Error("two approximate runs differ")
	}
	for _, col := range []string{"frame", "wirelen", "payload", "ttl", "window", "sport", "dport"} {
		t.Run(col, func(t *testing.T) {
			// count, mean, std, min and max are exact.
			for _, i := range []int{0, 1, 2, 3, 7} {
				if got[col][i] != want[col][i] {
					t.Errorf("%s: approximate %v, exact %v", num.Columns[i+1].Name, got[col], want[col])
				}
			}
			values := func(q string) []float64 {
				var xs []float64
				for _, r := range rows(t, e, q) {
					x, err := strconv.ParseFloat(r[0], 64)
					if err != nil {
						t.Fatal(err)
					}
					xs = append(xs, x)
				}
				slices.Sort(xs)
				return xs
			}
			x := quoteIdent(col)
			all := values("SELECT " + x + " FROM packets WHERE " + x + " IS NOT NULL")
			sample := values("SELECT " + x + " FROM packets WHERE " + x + " IS NOT NULL AND hash(frame) % 8 = 0")
			if len(sample) < len(all)/16 || len(sample) > len(all)/4 {
				t.Fatalf("sample of %d rows out of %d, want about 1 in 8", len(sample), len(all))
			}
			for i, p := range []float64{.25, .5, .75} {
				if g, w := got[col][4+i], formatFloat(linearQuantile(sample, p)); g != w {
					t.Errorf("%g quantile = %s, want %s (of the sample)", p, g, w)
				}
				// The sample's quartile lies between the quantiles of all rows 0.1 away.
				q, _ := strconv.ParseFloat(got[col][4+i], 64)
				if lo, hi := linearQuantile(all, p-.1), linearQuantile(all, p+.1); q < lo || q > hi {
					t.Errorf("%g quantile = %g, not within [%g, %g]", p, q, lo, hi)
				}
			}
		})
	}
}

// TestDescribeEmpty checks that describe lists every column of an empty capture, as pandas does for an empty
// DataFrame: count and unique 0, the rest null.
func TestDescribeEmpty(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "empty.pcap")
	header := []byte{0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0}
	if err := os.WriteFile(path, header, 0o644); err != nil {
		t.Fatal(err)
	}
	e, err := Open(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if _, err := e.Load(ctx, []string{path}, LoadOptions{}); err != nil {
		t.Fatal(err)
	}
	rep, err := e.Stats(ctx, StatsOptions{Only: []string{"describe_numbers", "describe_text"}})
	if err != nil {
		t.Fatal(err)
	}
	tables, err := e.Tables(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var cols []ColumnInfo
	for _, tb := range tables {
		if tb.Name == "packets" {
			cols = tb.Columns
		}
	}
	got := len(section(t, rep, "describe_numbers").Rows) + len(section(t, rep, "describe_text").Rows)
	if got != len(cols) || got == 0 {
		t.Errorf("describe has %d rows, want one per column (%d)", got, len(cols))
	}
	for _, name := range []string{"describe_numbers", "describe_text"} {
		s := section(t, rep, name)
		for r := range s.Rows {
			if c := cell(t, s, r, "count"); c != "0" {
				t.Errorf("%s: %s count = %s", name, cell(t, s, r, "column"), c)
			}
		}
	}
}

// TestDescribeWithoutFrame checks that the quartiles of a table without a frame column fall back on
// approx_quantile over all rows.
func TestDescribeWithoutFrame(t *testing.T) {
	e := load(t, "seed__find_the_image.pcap")
	q := DescribeNumbersSQL([]ColumnInfo{{"wirelen", "INTEGER"}, {"time", "TIMESTAMP_NS"}}, 8)
	if !strings.Contains(q, "approx_quantile") || strings.Contains(q, "hash(frame)") {
		t.Fatalf("no approx_quantile fallback:\n%s", q)
	}
	got := rows(t, e, q)
	if len(got) != 2 || got[0][0] != "wirelen" || got[0][1] != "3641" || got[1][0] != "time" {
		t.Errorf("describe = %v", got)
	}
	min, _ := strconv.ParseFloat(got[0][4], 64)
	max, _ := strconv.ParseFloat(got[0][8], 64)
	for _, v := range got[0][5:8] {
		if q, err := strconv.ParseFloat(v, 64); err != nil || q < min || q > max {
			t.Errorf("quartile %s outside [%g, %g]", v, min, max)
		}
	}
}

func sqrt(x float64) float64 {
	f, _ := new(big.Float).SetPrec(200).Sqrt(big.NewFloat(x)).Float64()
	return f
}

func TestLockKeepsQueriesFromFiles(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, allow := range []bool{false, true} {
		t.Run(fmt.Sprint("allow=", allow), func(t *testing.T) {
			e, err := Open(ctx, Options{AllowFiles: allow})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			if _, err := e.Load(ctx, []string{corpusFile(t, "seed__find_the_image.pcap")}, LoadOptions{}); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, fmt.Sprint("out", allow, ".csv"))
			stmts := []string{
				"SELECT * FROM read_csv('/etc/passwd')",
				"COPY (SELECT 1) TO " + quoteString(out),
			}
			for _, s := range stmts {
				err := e.Exec(ctx, s)
				if allow && err != nil {
					t.Errorf("%s with AllowFiles: %v", s, err)
				}
				if !allow && err == nil {
					t.Errorf("%s ran after Lock", s)
				}
			}
			_, statErr := os.Stat(out)
			if allow != (statErr == nil) {
				t.Errorf("COPY TO wrote a file: %v, want %v", statErr == nil, allow)
			}
			if !allow {
				if err := e.Exec(ctx, "SET enable_external_access = true"); err == nil {
					t.Error("configuration was not locked")
				}
			}
			if got := rows(t, e, "SELECT count(*) FROM packets")[0][0]; got != "3641" {
				t.Errorf("count after lock = %s", got)
			}
		})
	}
}

// TestDescribePayload recomputes pandas' describe of payload_raw and payload_hex in Go (count of non-null values,
// number of distinct values, the most frequent one with ties to the smallest, its count) and compares both the
// exact describe and the one grouped by hash.
func TestDescribePayload(t *testing.T) {
	const c = "seed__find_the_image.pcap"
	e := load(t, c)
	count := map[string]int64{}
	var n int64
	for _, p := range decodeAll(t, corpusFile(t, c)) {
		count[string(p.Payload())]++
		n++
	}
	top := ""
	for v, k := range count {
		if k > count[top] || (k == count[top] && v < top) {
			top = v
		}
	}
	want := map[string][]string{
		"payload_raw": {fmt.Sprint(n), fmt.Sprint(len(count)), "", fmt.Sprint(count[top])},
		"payload_hex": {fmt.Sprint(n), fmt.Sprint(len(count)), hex.EncodeToString([]byte(top)), fmt.Sprint(count[top])},
	}
	for _, approx := range []bool{false, true} {
		rep, err := e.Stats(context.Background(), StatsOptions{Only: []string{"describe_text"}, ApproxRows: map[bool]int64{false: 1 << 40, true: 100}[approx]})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Approximate != approx {
			t.Fatalf("approximate = %v, want %v", rep.Approximate, approx)
		}
		got := describeRows(t, section(t, rep, "describe_text"))
		for col, w := range want {
			g := got[col]
			if col == "payload_raw" {
				w[2] = g[2] // the text of a BLOB is DuckDB's escaping; the counts say which value it is
			}
			if !slices.Equal(g, w) {
				t.Errorf("approximate=%v: describe %s = %q, want %q", approx, col, g, w)
			}
		}
	}

	// A table whose most frequent payloads are not empty, two of them tied (the smallest wins), and NULLs.
	ctx := context.Background()
	e2, err := Open(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close()
	for _, q := range []string{
		"CREATE TABLE packets (payload_raw BLOB, payload_hex VARCHAR GENERATED ALWAYS AS (" + packetDerived["payload_hex"] + ") VIRTUAL)",
		`INSERT INTO packets VALUES ('\xAB\xCD'::BLOB), ('\xAB\xCD'::BLOB), ('\xAB\xCC'::BLOB), ('\xAB\xCC'::BLOB), ('\x01'::BLOB), (''::BLOB), (NULL)`,
	} {
		if err := e2.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	cols := []ColumnInfo{{"payload_raw", "BLOB"}, {"payload_hex", "VARCHAR"}}
	for _, hashed := range []bool{false, true} {
		r := rows(t, e2, DescribeTextSQL(cols, hashed))
		want := []string{"payload_hex", "6", "4", "abcc", "2"}
		if got := r[1]; hashed && got[3] == "abcd" {
			want[3] = got[3] // grouped by hash, a tie goes to the smallest hash
		}
		if got := r[1]; !slices.Equal(got, want) {
			t.Errorf("hashed=%v: describe payload_hex = %q, want %q", hashed, got, want)
		}
		if got := r[0]; got[1] != "6" || got[2] != "4" || got[4] != "2" {
			t.Errorf("hashed=%v: describe payload_raw = %q, want count 6, unique 4, freq 2", hashed, got)
		}
	}
}
