package sink

import (
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"sync"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/pcapframe/pcapframe/schema"
)

// benchPacket resembles a decoded packet row: mostly integers, a few addresses and names, and a payload.
type benchPacket struct {
	TS, Frame                                  int64
	CapLen, WireLen, IfIndex                   int32
	EthSrc, EthDst                             [6]byte
	EthType, VLAN                              int32 // VLAN 0: absent
	IPVersion, TTL, Proto, IPID, IPLen, DSCP   int32
	ECN, FragOffset                            int32
	DF, MF                                     bool
	Src, Dst                                   netip.Addr
	SrcPort, DstPort                           int32
	Seq, Ack                                   int64
	TCPFlags, Window, UrgPtr, MSS, WScale      int32 // MSS, WScale 0: absent
	SYN, ACK, FIN, RST, PSH, URG, SACKOK       bool
	TSVal, TSEcr                               int64
	UDPLen, ICMPType, ICMPCode                 int32 // -1: absent
	Payload                                    []byte
	FlowUID, CommunityID, Direction, AppProto  string
	DNSQName, HTTPHost, TLSSNI, Notes          string // "": absent
	DNSQType                                   int32
	Entropy, IAT, RTT                          float64 // RTT NaN: absent
	Retrans, DupAck, ZeroWindow, KeepAlive     bool
	SeqRel, AckRel, StreamOff, FlowPkts, Bytes int64
}

type bpkt = benchPacket

func i64(name string, f func(p *bpkt) int64) schema.Column[bpkt] {
	return schema.Column[bpkt]{Name: name, Type: schema.Int64, Doc: name, Int: func(p *bpkt) (int64, bool) { return f(p), true }}
}

func i32(name string, f func(p *bpkt) int32) schema.Column[bpkt] {
	return schema.Column[bpkt]{Name: name, Type: schema.Int32, Doc: name, Int: func(p *bpkt) (int64, bool) { return int64(f(p)), true }}
}

// opt32 is an Int32 column that is absent when f returns absent.
func opt32(name string, absent int32, f func(p *bpkt) int32) schema.Column[bpkt] {
	return schema.Column[bpkt]{Name: name, Type: schema.Int32, Doc: name, Int: func(p *bpkt) (int64, bool) { v := f(p); return int64(v), v != absent }}
}

func flag(name string, f func(p *bpkt) bool) schema.Column[bpkt] {
	return schema.Column[bpkt]{Name: name, Type: schema.Bool, Doc: name, Int: func(p *bpkt) (int64, bool) {
		if f(p) {
			return 1, true
		}
		return 0, true
	}}
}

func str(name string, f func(p *bpkt) string) schema.Column[bpkt] {
	return schema.Column[bpkt]{Name: name, Type: schema.String, Doc: name, Append: func(p *bpkt, dst []byte) ([]byte, bool) {
		s := f(p)
		return append(dst, s...), s != ""
	}}
}

func flt(name string, f func(p *bpkt) float64) schema.Column[bpkt] {
	return schema.Column[bpkt]{Name: name, Type: schema.Float64, Doc: name, Float: func(p *bpkt) (float64, bool) { v := f(p); return v, !math.IsNaN(v) }}
}

func mac(name string, f func(p *bpkt) *[6]byte) schema.Column[bpkt] {
	return schema.Column[bpkt]{Name: name, Type: schema.String, Doc: name, Append: func(p *bpkt, dst []byte) ([]byte, bool) {
		m := f(p)
		for i, b := range m {
			if i > 0 {
				dst = append(dst, ':')
			}
			dst = append(dst, hexDigits[b>>4], hexDigits[b&0xf])
		}
		return dst, true
	}}
}

func addr(name string, f func(p *bpkt) netip.Addr) schema.Column[bpkt] {
	return schema.Column[bpkt]{Name: name, Type: schema.String, Doc: name, Append: func(p *bpkt, dst []byte) ([]byte, bool) {
		a := f(p)
		return a.AppendTo(dst), a.IsValid()
	}}
}

var benchTable = &schema.Table[bpkt]{Name: "packets", Doc: "Synthetic packets.", Columns: []schema.Column[bpkt]{
	{Name: "ts", Type: schema.Timestamp, Doc: "ts", Int: func(p *bpkt) (int64, bool) { return p.TS, true }},
	i64("frame", func(p *bpkt) int64 { return p.Frame }),
	i32("caplen", func(p *bpkt) int32 { return p.CapLen }),
	i32("wirelen", func(p *bpkt) int32 { return p.WireLen }),
	i32("ifindex", func(p *bpkt) int32 { return p.IfIndex }),
	mac("eth_src", func(p *bpkt) *[6]byte { return &p.EthSrc }),
	mac("eth_dst", func(p *bpkt) *[6]byte { return &p.EthDst }),
	i32("eth_type", func(p *bpkt) int32 { return p.EthType }),
	opt32("vlan", 0, func(p *bpkt) int32 { return p.VLAN }),
	i32("ip_version", func(p *bpkt) int32 { return p.IPVersion }),
	addr("src_ip", func(p *bpkt) netip.Addr { return p.Src }),
	addr("dst_ip", func(p *bpkt) netip.Addr { return p.Dst }),
	i32("ttl", func(p *bpkt) int32 { return p.TTL }),
	i32("proto", func(p *bpkt) int32 { return p.Proto }),
	i32("ip_id", func(p *bpkt) int32 { return p.IPID }),
	i32("ip_len", func(p *bpkt) int32 { return p.IPLen }),
	i32("dscp", func(p *bpkt) int32 { return p.DSCP }),
	i32("ecn", func(p *bpkt) int32 { return p.ECN }),
	i32("frag_offset", func(p *bpkt) int32 { return p.FragOffset }),
	flag("df", func(p *bpkt) bool { return p.DF }),
	flag("mf", func(p *bpkt) bool { return p.MF }),
	i32("src_port", func(p *bpkt) int32 { return p.SrcPort }),
	i32("dst_port", func(p *bpkt) int32 { return p.DstPort }),
	i64("tcp_seq", func(p *bpkt) int64 { return p.Seq }),
	i64("tcp_ack", func(p *bpkt) int64 { return p.Ack }),
	i32("tcp_flags", func(p *bpkt) int32 { return p.TCPFlags }),
	flag("syn", func(p *bpkt) bool { return p.SYN }),
	flag("ack", func(p *bpkt) bool { return p.ACK }),
	flag("fin", func(p *bpkt) bool { return p.FIN }),
	flag("rst", func(p *bpkt) bool { return p.RST }),
	flag("psh", func(p *bpkt) bool { return p.PSH }),
	flag("urg", func(p *bpkt) bool { return p.URG }),
	i32("window", func(p *bpkt) int32 { return p.Window }),
	i32("urgptr", func(p *bpkt) int32 { return p.UrgPtr }),
	opt32("mss", 0, func(p *bpkt) int32 { return p.MSS }),
	opt32("wscale", 0, func(p *bpkt) int32 { return p.WScale }),
	flag("sack_ok", func(p *bpkt) bool { return p.SACKOK }),
	i64("tsval", func(p *bpkt) int64 { return p.TSVal }),
	i64("tsecr", func(p *bpkt) int64 { return p.TSEcr }),
	opt32("udp_len", -1, func(p *bpkt) int32 { return p.UDPLen }),
	opt32("icmp_type", -1, func(p *bpkt) int32 { return p.ICMPType }),
	opt32("icmp_code", -1, func(p *bpkt) int32 { return p.ICMPCode }),
	i32("payload_len", func(p *bpkt) int32 { return int32(len(p.Payload)) }),
	{Name: "payload", Type: schema.Bytes, Doc: "payload", Append: func(p *bpkt, dst []byte) ([]byte, bool) { return append(dst, p.Payload...), true }},
	{Name: "payload_hex", Type: schema.String, Doc: "payload hex", Append: func(p *bpkt, dst []byte) ([]byte, bool) {
		return hex.AppendEncode(dst, p.Payload), true
	}},
	str("flow_uid", func(p *bpkt) string { return p.FlowUID }),
	str("community_id", func(p *bpkt) string { return p.CommunityID }),
	str("direction", func(p *bpkt) string { return p.Direction }),
	str("app_proto", func(p *bpkt) string { return p.AppProto }),
	str("dns_qname", func(p *bpkt) string { return p.DNSQName }),
	opt32("dns_qtype", 0, func(p *bpkt) int32 { return p.DNSQType }),
	str("http_host", func(p *bpkt) string { return p.HTTPHost }),
	str("tls_sni", func(p *bpkt) string { return p.TLSSNI }),
	str("notes", func(p *bpkt) string { return p.Notes }),
	flt("entropy", func(p *bpkt) float64 { return p.Entropy }),
	flt("iat", func(p *bpkt) float64 { return p.IAT }),
	flt("rtt", func(p *bpkt) float64 { return p.RTT }),
	flag("retrans", func(p *bpkt) bool { return p.Retrans }),
	flag("dup_ack", func(p *bpkt) bool { return p.DupAck }),
	flag("zero_window", func(p *bpkt) bool { return p.ZeroWindow }),
	flag("keepalive", func(p *bpkt) bool { return p.KeepAlive }),
	i64("seq_rel", func(p *bpkt) int64 { return p.SeqRel }),
	i64("ack_rel", func(p *bpkt) int64 { return p.AckRel }),
	i64("stream_offset", func(p *bpkt) int64 { return p.StreamOff }),
	i64("flow_pkts", func(p *bpkt) int64 { return p.FlowPkts }),
	i64("flow_bytes", func(p *bpkt) int64 { return p.Bytes }),
}}

// benchPackets returns n synthetic packets: 200 hosts, a few hundred flows, payloads of 0–1,400 bytes that are
// half text-like and half random.
func benchPackets(n int) []bpkt {
	r := rand.New(rand.NewPCG(0, 0))
	hosts := make([]netip.Addr, 200)
	for i := range hosts {
		if i%10 == 0 {
			var a [16]byte
			a[0], a[1] = 0x20, 0x01
			for j := 2; j < 16; j++ {
				a[j] = byte(r.IntN(256))
			}
			hosts[i] = netip.AddrFrom16(a)
		} else {
			hosts[i] = netip.AddrFrom4([4]byte{10, byte(r.IntN(4)), byte(r.IntN(256)), byte(r.IntN(256))})
		}
	}
	names := []string{"example.com", "api.example.org", "cdn.static.net", "login.corp.local", "updates.vendor.io"}
	apps := []string{"tls", "http", "dns", "ssh", ""}
	text := []byte("GET /index.html HTTP/1.1\r\nHost: example.com\r\nUser-Agent: bench/1.0\r\nAccept: */*\r\n\r\n")
	ts := int64(1376427012_000000000)
	out := make([]bpkt, n)
	for i := range out {
		p := &out[i]
		flow := r.IntN(300)
		ts += int64(r.IntN(200_000))
		plen := 0
		switch k := r.IntN(10); {
		case k < 4:
		case k < 7:
			plen = r.IntN(100)
		default:
			plen = r.IntN(1401)
		}
		p.Payload = make([]byte, plen)
		for j := range p.Payload {
			if flow%2 == 0 {
				p.Payload[j] = text[j%len(text)]
			} else {
				p.Payload[j] = byte(r.IntN(256))
			}
		}
		*p = bpkt{
			TS: ts, Frame: int64(i + 1), CapLen: int32(54 + plen), WireLen: int32(54 + plen), IfIndex: 1,
			EthSrc: [6]byte{0, 0x1b, 0x21, byte(flow), 1, 2}, EthDst: [6]byte{0, 0x1b, 0x21, byte(flow >> 1), 3, 4},
			EthType: 0x0800, IPVersion: 4, TTL: int32(64 - r.IntN(20)), Proto: 6, IPID: int32(r.IntN(65536)),
			IPLen: int32(40 + plen), DF: true, Src: hosts[flow%200], Dst: hosts[(flow*7+3)%200],
			SrcPort: int32(32768 + flow*97%28000), DstPort: []int32{443, 80, 53, 22, 8080}[flow%5],
			Seq: r.Int64N(1 << 32), Ack: r.Int64N(1 << 32), TCPFlags: 0x18, ACK: true, PSH: plen > 0,
			Window: int32(r.IntN(65536)), TSVal: ts / 1e6, TSEcr: ts/1e6 - 20, UDPLen: -1, ICMPType: -1, ICMPCode: -1,
			Payload:     p.Payload,
			FlowUID:     "C" + strconv.FormatUint(uint64(flow)*0x9E3779B97F4A7C15, 36),
			CommunityID: fmt.Sprintf("1:%016x%012x=", uint64(flow)*0x9E3779B97F4A7C15, flow),
			Direction:   []string{"orig", "resp"}[r.IntN(2)], AppProto: apps[flow%5],
			Entropy: r.Float64() * 8, IAT: float64(r.IntN(200_000)) / 1e9, RTT: math.NaN(),
			SeqRel: int64(r.IntN(1 << 20)), AckRel: int64(r.IntN(1 << 20)), StreamOff: int64(r.IntN(1 << 24)),
			FlowPkts: int64(r.IntN(1000)), Bytes: int64(r.IntN(1 << 20)),
		}
		if i%50 == 0 {
			p.SYN, p.MSS, p.WScale, p.SACKOK = true, 1460, 7, true
			p.RTT = r.Float64() / 100
		}
		if flow%5 == 2 {
			p.Proto, p.UDPLen, p.DNSQName, p.DNSQType = 17, int32(8+plen), names[flow%len(names)], 1
		}
		if flow%5 == 0 {
			p.TLSSNI = names[flow%len(names)]
		}
		if flow%5 == 1 {
			p.HTTPHost = names[flow%len(names)]
		}
		if i%97 == 0 {
			p.Retrans, p.Notes = true, "retransmission"
		}
		if i%13 == 0 {
			p.VLAN = 100
		}
	}
	return out
}

// benchRows returns the benchmark's packets: more distinct rows than a row group holds, so that no writer can
// profit from rows repeating within a row group.
var benchRows = sync.OnceValue(func() []bpkt { return benchPackets(1 << 17) })

// countWriter counts the bytes written to it.
type countWriter struct{ n int64 }

func (w *countWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

// benchNoPayload is benchTable without the payload and payload_hex columns.
var benchNoPayload = func() *schema.Table[bpkt] {
	var names []string
	for _, n := range benchTable.Names() {
		if n != "payload" && n != "payload_hex" {
			names = append(names, n)
		}
	}
	t, err := benchTable.Select(names)
	if err != nil {
		panic(err)
	}
	return t
}()

// benchmarkFormat writes b.N rows in batches of 1,024, so ns/op and allocs/op are per row.
func benchmarkFormat(b *testing.B, format Format, opts Options) {
	benchmarkTable(b, benchTable, format, opts)
}

func benchmarkTable(b *testing.B, table *schema.Table[bpkt], format Format, opts Options) {
	const batch = 1024
	rows := benchRows()
	out := &countWriter{}
	w, err := New(table, format, out, opts)
	if err != nil {
		b.Fatal(err)
	}
	// Warm up, so that buffers have grown to their steady size.
	for i := 0; i < 16*batch; i += batch {
		if err := w.Write(rows[i : i+batch]); err != nil {
			b.Fatal(err)
		}
	}
	out.n = 0
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	written := 0
	for written < b.N {
		off := (16*batch + written) % len(rows) // after the warm-up rows
		n := min(batch, b.N-written, len(rows)-off)
		if err := w.Write(rows[off : off+n]); err != nil {
			b.Fatal(err)
		}
		written += n
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	// CPU time per row is steadier than rows/s on a shared machine; it includes the garbage collector.
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/row")
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(out.n)/float64(b.N), "B/row")
}

func BenchmarkCSV(b *testing.B) { benchmarkFormat(b, CSV, Options{}) }

func BenchmarkJSONL(b *testing.B) { benchmarkFormat(b, JSONL, Options{}) }

func BenchmarkParquet(b *testing.B) {
	for _, c := range []string{"zstd", "snappy", "none"} {
		for _, w := range []int{1, 0} {
			name := c + "/workers=" + strconv.Itoa(w)
			if w == 0 {
				name = c + "/workers=GOMAXPROCS"
			}
			b.Run(name, func(b *testing.B) { benchmarkFormat(b, Parquet, Options{Compression: c, Workers: w}) })
		}
	}
}

func TestBenchTableValid(t *testing.T) {
	if err := benchTable.Validate(); err != nil {
		t.Fatal(err)
	}
	if n := len(benchTable.Columns); n < 60 {
		t.Errorf("bench table has %d columns, want about 60", n)
	}
}

// BenchmarkNoPayload writes the packet table without its two payload columns (64 columns of numbers and short
// strings).
func BenchmarkNoPayload(b *testing.B) {
	b.Run("csv", func(b *testing.B) { benchmarkTable(b, benchNoPayload, CSV, Options{}) })
	b.Run("jsonl", func(b *testing.B) { benchmarkTable(b, benchNoPayload, JSONL, Options{}) })
	b.Run("parquet/workers=1", func(b *testing.B) { benchmarkTable(b, benchNoPayload, Parquet, Options{Workers: 1}) })
	b.Run("parquet/workers=GOMAXPROCS", func(b *testing.B) { benchmarkTable(b, benchNoPayload, Parquet, Options{}) })
}

func BenchmarkParquetZstdDefault(b *testing.B) {
	zstdCodec = zstdDefault
	defer func() { zstdCodec = zstdFastest }()
	benchmarkFormat(b, Parquet, Options{Workers: 1})
}

func BenchmarkParquetNoDict(b *testing.B) {
	useDict = false
	defer func() { useDict = true }()
	benchmarkFormat(b, Parquet, Options{Workers: 1})
}

// BenchmarkParquetZstdBytes compresses Bytes columns with zstd like the others, as before they got Snappy.
func BenchmarkParquetZstdBytes(b *testing.B) {
	bytesSnappy = false
	defer func() { bytesSnappy = true }()
	benchmarkFormat(b, Parquet, Options{Workers: 1})
}

// BenchmarkParquetPlainInts writes integers PLAIN rather than DELTA_BINARY_PACKED.
func BenchmarkParquetPlainInts(b *testing.B) {
	deltaInts = false
	defer func() { deltaInts = true }()
	b.Run("payload", func(b *testing.B) { benchmarkFormat(b, Parquet, Options{Workers: 1}) })
	b.Run("no-payload", func(b *testing.B) { benchmarkTable(b, benchNoPayload, Parquet, Options{Workers: 1}) })
}

// BenchmarkAccessors reads every value of every row and writes nothing: the part of each format's cost that
// belongs to the table, not to the writer.
func BenchmarkAccessors(b *testing.B) {
	rows := benchRows()
	var scratch []byte
	var sink int64
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := range b.N {
		r := &rows[i%len(rows)]
		for j := range benchTable.Columns {
			c := &benchTable.Columns[j]
			switch {
			case c.Int != nil:
				v, _ := c.Int(r)
				sink += v
			case c.Float != nil:
				v, _ := c.Float(r)
				sink += int64(v)
			default:
				scratch, _ = c.Append(r, scratch[:0])
				sink += int64(len(scratch))
			}
		}
	}
	b.StopTimer()
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/row")
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	if sink == 42 {
		b.Log(sink)
	}
}

func BenchmarkParquetPageSize(b *testing.B) {
	for _, kib := range []int{64, 256, 1024, 4096} {
		b.Run(strconv.Itoa(kib)+"KiB", func(b *testing.B) { benchmarkFormat(b, Parquet, Options{Workers: 1, PageBytes: kib << 10}) })
	}
}

// appendParquetRow appends the values of r to row as parquet.Values, and its String and Bytes values to arena.
func appendParquetRow[R any](cols []schema.Column[R], r *R, row parquet.Row, arena []byte) (parquet.Row, []byte) {
	for ci := range cols {
		c := &cols[ci]
		v := parquet.NullValue()
		switch c.Type {
		case schema.Bool, schema.Int32, schema.Int64, schema.Timestamp:
			if x, ok := c.Int(r); ok {
				switch c.Type {
				case schema.Bool:
					v = parquet.BooleanValue(x != 0)
				case schema.Int32:
					v = parquet.Int32Value(int32(x))
				default:
					v = parquet.Int64Value(x)
				}
				v.SetDefinitionLevel(1)
			}
		case schema.Float64:
			if x, ok := c.Float(r); ok {
				v = parquet.DoubleValue(x)
				v.SetDefinitionLevel(1)
			}
		default:
			n := len(arena)
			var ok bool
			if arena, ok = c.Append(r, arena); ok {
				v = parquet.ByteArrayValue(arena[n:len(arena):len(arena)])
				v.SetDefinitionLevel(1)
			}
		}
		v.SetColumnIndex(ci)
		row = append(row, v)
	}
	return row, arena
}

// BenchmarkParquetRowBased is the alternative the writer does not take: build a parquet.Row per row (reusing the
// rows' value slices) and hand the batch to parquet.Writer.WriteRows, with the same schema and options. Note that
// its String pages are cut by parquet-go alone (see parquetWriter.pending), so its layout differs.
func BenchmarkParquetRowBased(b *testing.B) {
	const batch = 1024
	rows := benchRows()
	out := &countWriter{}
	pw := parquet.NewWriter(out, parquet.NewSchema("packets", parquetNode(benchTable, true, nil)),
		parquet.Compression(zstdFastest), parquet.PageBufferSize(DefaultPageBytes),
		parquet.DictionaryMaxBytes(dictionaryMaxBytes), parquet.MaxRowsPerRowGroup(DefaultRowGroupRows))
	prows := make([]parquet.Row, batch)
	arenas := make([][]byte, batch)
	write := func(rs []bpkt) {
		for i := range rs {
			prows[i], arenas[i] = appendParquetRow(benchTable.Columns, &rs[i], prows[i][:0], arenas[i][:0])
		}
		if _, err := pw.WriteRows(prows[:len(rs)]); err != nil {
			b.Fatal(err)
		}
	}
	for i := 0; i < 16*batch; i += batch {
		write(rows[i : i+batch])
	}
	out.n = 0
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for written := 0; written < b.N; {
		off := (16*batch + written) % len(rows) // after the warm-up rows
		n := min(batch, b.N-written, len(rows)-off)
		write(rows[off : off+n])
		written += n
	}
	if err := pw.Close(); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/row")
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(out.n)/float64(b.N), "B/row")
}
