package report

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/pcapframe/pcapframe/internal/query"
	"github.com/pcapframe/pcapframe/packet"
	"github.com/pcapframe/pcapframe/stream"
)

// Preview is the beginning of one conversation's payload as `pcapframe follow --flow A-B` prints it: the TCP
// connection reassembled by package stream (both directions in delivery order, retransmitted and overlapping
// bytes once, gaps where the capture missed bytes) or the UDP datagrams in order.
type Preview struct {
	Proto string `json:"proto"`
	// A, PortA, B and PortB are the conversation as the conversations table shows it.
	A     string `json:"a"`
	PortA any    `json:"port_a"`
	B     string `json:"b"`
	PortB any    `json:"port_b"`
	// Node0 and Node1 are the endpoints as follow names them: Node 0 sent the first packet; Node 1's chunks are
	// indented. Client is the endpoint that opened the connection.
	Node0  string         `json:"node0"`
	Node1  string         `json:"node1"`
	Client string         `json:"client"`
	Chunks []PreviewChunk `json:"chunks"`
	// Shown counts the payload bytes in Chunks; Truncated says that follow prints more than the preview holds.
	Shown     int64 `json:"shown_bytes"`
	Truncated bool  `json:"truncated"`
	// Gaps, Overlap and Conflicts are the reassembly's counters (both sides) up to the end of the preview.
	Gaps      int64 `json:"gaps"`
	GapBytes  int64 `json:"gap_bytes"`
	Overlap   int64 `json:"overlap_bytes"`
	Conflicts int64 `json:"conflict_bytes"`
}

// PreviewChunk is one chunk of a preview, as follow prints it: payload bytes, or a run of bytes missing from the
// capture (Gap > 0, Data empty).
type PreviewChunk struct {
	Node1  bool   `json:"node1"` // sent by Node 1
	Frame  int64  `json:"frame"`
	Time   int64  `json:"time_ns"`
	Offset int64  `json:"offset"` // position in its side's byte stream
	Gap    int64  `json:"gap,omitempty"`
	Data   []byte `json:"data"` // base64 in JSON
}

// previewColumns are the packets columns a preview reads.
var previewColumns = []string{"source", "frame", "time", "wirelen", "src", "dst", "proto", "sport", "dport", "seq", "ack",
	"tcp_flags", "window", "tcp_chksum", "udp_len", "payload", "payload_raw"}

// sqlPreviewPackets selects one page of a conversation's TCP or UDP packets (parameters: proto, a, port a, b,
// port b) in (source, frame) order, as sqlPreviewBatch. tcp_chksum and udp_len are set iff the transport
// header was complete, as follow needs it.
const sqlPreviewPackets = `SELECT source, frame, epoch_ns(time), wirelen, src, dst, sport, dport, seq, ack, tcp_flags,
  "window", payload, payload_raw
FROM packets
WHERE proto = $1 AND CASE WHEN proto = 6 THEN tcp_chksum IS NOT NULL ELSE udp_len IS NOT NULL END
  AND ((src = $2 AND sport = $3 AND dst = $4 AND dport = $5) OR (src = $4 AND sport = $5 AND dst = $2 AND dport = $3))
ORDER BY source, frame
LIMIT $limit OFFSET $offset`

// sqlPreviewBatch selects the first $cap packets of each conversation to preview, in one pass: $values lists
// (conversation, proto, src, sport, dst, dport) for both directions of each. Packets come in (source, frame)
// order: capture order, as follow reads them.
const sqlPreviewBatch = `WITH c(i, proto, src, sport, dst, dport) AS (VALUES $values)
SELECT c.i, p.source, p.frame, epoch_ns(p.time), p.wirelen, p.src, p.dst, p.sport, p.dport, p.seq, p.ack, p.tcp_flags,
  p."window", p.payload, p.payload_raw
FROM packets AS p JOIN c USING (proto, src, sport, dst, dport)
WHERE CASE WHEN p.proto = 6 THEN p.tcp_chksum IS NOT NULL ELSE p.udp_len IS NOT NULL END
QUALIFY row_number() OVER (PARTITION BY c.i ORDER BY p.source, p.frame) <= $cap
ORDER BY c.i, p.source, p.frame`

// Limits of the packets read for one preview.
const (
	previewMaxPackets = 1 << 20 // packets read at most; the preview is marked truncated after that
	previewMaxChunks  = 256     // chunks shown at most
)

// previewBatchPackets is the number of packets of each conversation read at once; each next page is 4 times
// larger. A variable for tests.
var previewBatchPackets = 4096

// errPreviewFull stops the reassembly when the preview is full.
var errPreviewFull = errors.New("preview full")

// previewTarget is one conversation to preview and its follower.
type previewTarget struct {
	proto        string
	num          int
	a, b         string
	portA, portB int64
	p            *Preview
	fo           *stream.Follower
	pk           packet.Packet
	full, done   bool
	read         int
}

// newPreviewTarget prepares the preview of the TCP or UDP conversation between a:portA and b:portB: the first
// connection on those endpoints, followed as `pcapframe follow --flow` does, keeping at most maxBytes payload
// bytes in at most maxChunks chunks. It returns nil when the endpoints are not addresses and ports.
func newPreviewTarget(proto string, a string, portA int64, b string, portB int64, maxBytes, maxChunks int) *previewTarget {
	addrA, errA := netip.ParseAddr(a)
	addrB, errB := netip.ParseAddr(b)
	if errA != nil || errB != nil || portA < 0 || portA > 65535 || portB < 0 || portB > 65535 || (proto != "tcp" && proto != "udp") {
		return nil
	}
	t := &previewTarget{proto: proto, num: 6, a: a, b: b, portA: portA, portB: portB,
		p: &Preview{Proto: proto, A: a, PortA: portA, B: b, PortB: portB, Chunks: []PreviewChunk{}}}
	if proto == "udp" {
		t.num = 17
	}
	p := t.p
	var node0 stream.Side
	emit := func(c *stream.Chunk) error {
		if t.full || len(p.Chunks) >= maxChunks || p.Shown >= int64(maxBytes) {
			t.full, p.Truncated = true, true
			if t.done {
				return nil
			}
			return errPreviewFull
		}
		pc := PreviewChunk{Node1: c.Side != node0, Frame: c.Frame, Time: c.Time, Offset: c.Offset, Gap: c.Gap}
		if c.Gap == 0 {
			data := c.Data
			if left := int64(maxBytes) - p.Shown; int64(len(data)) > left {
				data, p.Truncated = data[:left], true
			}
			pc.Data = append([]byte(nil), data...)
			p.Shown += int64(len(pc.Data))
		}
		p.Chunks = append(p.Chunks, pc)
		return nil
	}
	t.fo = stream.NewFollower(stream.Match{Proto: proto, A: netip.AddrPortFrom(addrA, uint16(portA)), B: netip.AddrPortFrom(addrB, uint16(portB))},
		stream.Options{}, func(h stream.Header) (func(*stream.Chunk) error, error) {
			node0 = h.Node0
			n0, n1 := h.Client, h.Server
			if h.Node0 == stream.Server {
				n0, n1 = n1, n0
			}
			p.Node0, p.Node1, p.Client = endpointName(n0), endpointName(n1), endpointName(h.Client)
			return emit, nil
		})
	return t
}

// add gives the follower one packet of the conversation; it returns errPreviewFull when the preview is full.
func (t *previewTarget) add(r *previewRow) error {
	t.read++
	prev := t.pk.Time
	if !r.header(&t.pk, uint8(t.num)) {
		return nil
	}
	if r.time == nil { // as the pipeline reads it: no time of its own, the packet before's
		t.pk.NoTime, t.pk.Time = true, prev
	}
	err := t.fo.AddHeader(&t.pk, r.data)
	if err != nil && !errors.Is(err, errPreviewFull) {
		return fmt.Errorf("payload preview: %w", err)
	}
	return err
}

// finish ends the preview after the conversation's last packet was read (more: packets were left unread) and
// returns it, or nil when the conversation delivered no chunk. At the end of the conversation follow delivers
// what is still held, as at the end of the capture; after a full preview the rest only counts.
func (t *previewTarget) finish(more bool) (*Preview, error) {
	t.done = true
	p := t.p
	if more || t.full {
		p.Truncated = true
	}
	_, st, err := t.fo.Close()
	if err != nil {
		return nil, fmt.Errorf("payload preview: %w", err)
	}
	for s := range 2 {
		p.Gaps += st.Gaps[s]
		p.GapBytes += st.GapBytes[s]
		p.Overlap += st.Overlap[s]
		p.Conflicts += st.Conflicts[s]
	}
	if len(p.Chunks) == 0 {
		return nil, nil
	}
	return p, nil
}

// collectPreviews previews the conversations of targets: one query reads the first previewBatchPackets packets
// of every conversation; a conversation that needs more is read on, page by page (feedPreview). The result
// holds the previews in the order of targets, without the conversations that delivered no chunk.
func collectPreviews(ctx context.Context, e *query.Engine, targets []*previewTarget) ([]Preview, error) {
	if len(targets) == 0 {
		return nil, nil
	}
	var values []string
	var args []any
	for i, t := range targets {
		values = append(values, "(?, ?, ?, ?, ?, ?)", "(?, ?, ?, ?, ?, ?)")
		args = append(args, i, t.num, t.a, t.portA, t.b, t.portB, i, t.num, t.b, t.portB, t.a, t.portA)
	}
	q := strings.NewReplacer("$values", strings.Join(values, ", "), "$cap", fmt.Sprint(previewBatchPackets)).Replace(sqlPreviewBatch)
	rows, err := e.Conn().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("payload preview: %w", err)
	}
	for rows.Next() {
		var i int
		var r previewRow
		if err := rows.Scan(append([]any{&i}, r.dest()...)...); err != nil {
			rows.Close()
			return nil, fmt.Errorf("payload preview: %w", err)
		}
		t := targets[i]
		if t.full {
			continue
		}
		if err := t.add(&r); err != nil && !errors.Is(err, errPreviewFull) {
			rows.Close()
			return nil, err
		}
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, fmt.Errorf("payload preview: %w", err)
	}
	var out []Preview
	for _, t := range targets {
		more := false
		if !t.full && t.read >= previewBatchPackets {
			if more, err = feedPreview(ctx, e, t); err != nil {
				return nil, err
			}
		}
		p, err := t.finish(more)
		if err != nil {
			return nil, err
		}
		if p != nil {
			out = append(out, *p)
		}
	}
	return out, nil
}

// feedPreview reads the conversation's packets after the first t.read page by page and gives them to the
// follower, until the preview is full or the packets run out. After previewMaxPackets packets it stops: more
// is true when packets were left unread.
func feedPreview(ctx context.Context, e *query.Engine, t *previewTarget) (more bool, err error) {
	for limit := previewBatchPackets; t.read < previewMaxPackets; limit *= 4 {
		limit = min(limit, previewMaxPackets-t.read)
		q := strings.NewReplacer("$limit", fmt.Sprint(limit), "$offset", fmt.Sprint(t.read)).Replace(sqlPreviewPackets)
		rows, err := e.Conn().QueryContext(ctx, q, t.num, t.a, t.portA, t.b, t.portB)
		if err != nil {
			return false, fmt.Errorf("payload preview: %w", err)
		}
		n := 0
		for rows.Next() {
			n++
			var r previewRow
			if err := rows.Scan(r.dest()...); err != nil {
				rows.Close()
				return false, fmt.Errorf("payload preview: %w", err)
			}
			if err := t.add(&r); err != nil {
				rows.Close()
				if errors.Is(err, errPreviewFull) {
					return false, nil
				}
				return false, err
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return false, fmt.Errorf("payload preview: %w", err)
		}
		if n < limit {
			return false, nil
		}
	}
	return true, nil
}

// previewRow is one packet of a previewed conversation as the packets table holds it.
type previewRow struct {
	source          string
	frameNo         int64
	time            *int64 // nil: the packet has no time (simple packet block, timestamp out of range)
	wirelen         int64
	src, dst        string
	sport, dport    int64
	seq, ack        *int64
	flags           *string
	window, payload *int64
	data            []byte
}

// dest returns the scan destinations of the columns of sqlPreviewPackets.
func (r *previewRow) dest() []any {
	return []any{&r.source, &r.frameNo, &r.time, &r.wirelen, &r.src, &r.dst, &r.sport, &r.dport, &r.seq, &r.ack,
		&r.flags, &r.window, &r.payload, &r.data}
}

// tcpFlagBits maps the letters of the tcp_flags column to the bits of packet.Packet.TCPFlags.
var tcpFlagBits = func() map[byte]uint16 {
	m := map[byte]uint16{}
	for i := range 9 {
		if l := packet.AppendTCPFlags(nil, 1<<i); len(l) == 1 {
			m[l[0]] = 1 << i
		}
	}
	return m
}()

// header fills p with the header fields of the row that flow tracking and reassembly read (the payload bytes
// stay in r.data, given to the follower apart). ok is false when the row cannot be a packet follow sees.
func (r *previewRow) header(p *packet.Packet, proto uint8) (ok bool) {
	src, err1 := netip.ParseAddr(r.src)
	dst, err2 := netip.ParseAddr(r.dst)
	if err1 != nil || err2 != nil || src.Is4() != dst.Is4() || r.sport < 0 || r.sport > 65535 || r.dport < 0 || r.dport > 65535 {
		return false
	}
	declared := int64(len(r.data))
	if r.payload != nil {
		declared = max(*r.payload, 0)
	}
	*p = packet.Packet{Meta: packet.Meta{Source: r.source, Frame: r.frameNo}}
	if r.time != nil {
		p.Time = *r.time
	}
	p.Layers = packet.HasPorts | packet.HasPayload
	if src.Is4() {
		p.Layers |= packet.HasIP4
	} else {
		p.Layers |= packet.HasIP6
	}
	p.Src, p.Dst, p.Proto = src, dst, proto
	p.SPort, p.DPort = uint16(r.sport), uint16(r.dport)
	p.PayloadLen = int32(min(declared, 1<<31-1))
	if proto == 6 {
		if r.seq == nil || r.ack == nil || r.flags == nil {
			return false
		}
		p.Layers |= packet.HasTCP | packet.HasTCPHead
		p.Seq, p.Ack = uint32(*r.seq), uint32(*r.ack)
		for i := 0; i < len(*r.flags); i++ {
			p.TCPFlags |= tcpFlagBits[(*r.flags)[i]]
		}
		if r.window != nil {
			p.Layers |= packet.HasTCPWindow
			p.Window = uint16(*r.window)
		}
	} else {
		p.Layers |= packet.HasUDP
	}
	return true
}

// endpointName writes an endpoint as follow's Node lines: addr:port, IPv6 in brackets.
func endpointName(ap netip.AddrPort) string {
	if ap.Addr().Is6() && !ap.Addr().Is4In6() {
		return "[" + ap.Addr().String() + "]:" + fmt.Sprint(ap.Port())
	}
	return ap.Addr().Unmap().String() + ":" + fmt.Sprint(ap.Port())
}
