package flow

import (
	"github.com/pcapframe/pcapframe/schema"
)

// Table is the flows table: one row per conversation. Its columns are Zeek's conn.log without the "id." prefix,
// then Wireshark's view of the conversation. It is the one definition read by every writer, by --help and by
// the schema document.
var Table = &schema.Table[Flow]{
	Name: "flows",
	Doc: "One row per bidirectional conversation (TCP connection, UDP or ICMP exchange, other IP protocol), in the " +
		"order the conversations ended; columns follow Zeek's conn.log, plus Wireshark's stream index and frame bytes.",
	Columns: []schema.Column[Flow]{
		intCol("ts", schema.Timestamp, "Time of the conversation's first packet (UTC, nanoseconds).", func(f *Flow) int64 { return f.TS }),
		strCol("uid", "Unique id of the conversation, Zeek-style (C + base62), derived from its first packet so runs are reproducible.", nil, func(f *Flow, b []byte) []byte { return append(b, f.uid[:f.uidN]...) }),
		strCol("orig_h", "Originator's address: the side that sent the first SYN, or the first packet when no SYN was seen.", nil, func(f *Flow, b []byte) []byte { return f.OrigH.AppendTo(b) }),
		intCol("orig_p", schema.Int32, "Originator's port (ICMP: the message type; 0 for protocols without ports).", func(f *Flow) int64 { return int64(f.OrigP) }),
		strCol("resp_h", "Responder's address.", nil, func(f *Flow, b []byte) []byte { return f.RespH.AppendTo(b) }),
		intCol("resp_p", schema.Int32, "Responder's port (ICMP: the counterpart type of a request/reply, else the code; 0 for protocols without ports).", func(f *Flow) int64 { return int64(f.RespP) }),
		strCol("proto", "Transport protocol: tcp, udp, icmp (also ICMPv6), or the IP protocol's name (gre, esp, sctp, ...) or number.", nil, func(f *Flow, b []byte) []byte { return append(b, ProtoName(f.Proto)...) }),
		strCol("service", "Application protocol: the well-known port's service, confirmed by the first payload bytes where the protocol is recognisable (http, ssl, ssh, dns, smtp, ...), or the UDP tunnel the flow carried (vxlan, geneve, gtpv1, teredo); null when unknown.", func(f *Flow) bool { return f.Service != "" }, func(f *Flow, b []byte) []byte { return append(b, f.Service...) }),
		{Name: "duration", Type: schema.Float64, Default: true, Doc: "Seconds from the first to the last packet.", Float: func(f *Flow) (float64, bool) { return f.Duration(), true }},
		intCol("orig_bytes", schema.Int64, "Payload bytes sent by the originator (TCP: sequence space covered, so retransmissions count once and gaps count as missed_bytes).", func(f *Flow) int64 { return f.OrigBytes }),
		intCol("resp_bytes", schema.Int64, "Payload bytes sent by the responder.", func(f *Flow) int64 { return f.RespBytes }),
		strCol("conn_state", "Zeek's connection state: S0, S1, SF, REJ, S2, S3, RSTO, RSTR, RSTOS0, RSTRH, SH, SHR or OTH.", nil, func(f *Flow, b []byte) []byte { return append(b, f.State.String()...) }),
		intCol("missed_bytes", schema.Int64, "TCP payload bytes never captured: holes in the sequence space, including data the peer acknowledged but the capture lacks.", func(f *Flow) int64 { return f.MissedBytes }),
		strCol("history", "Zeek's history letters (originator upper case, responder lower case): s SYN, h SYN-ACK, a pure ACK, d data, f FIN, r RST, t retransmission, w zero window, g gap, q SYN with FIN or RST, i FIN with RST, ^ direction flipped; null for protocols other than TCP and UDP.", func(f *Flow) bool { return f.Proto == protoTCP || f.Proto == protoUDP }, func(f *Flow, b []byte) []byte { return append(b, f.history[:f.historyN]...) }),
		intCol("orig_pkts", schema.Int64, "Packets sent by the originator.", func(f *Flow) int64 { return f.OrigPkts }),
		intCol("orig_ip_bytes", schema.Int64, "IP-level bytes sent by the originator (sum of the IP total length fields).", func(f *Flow) int64 { return f.OrigIPBytes }),
		intCol("resp_pkts", schema.Int64, "Packets sent by the responder.", func(f *Flow) int64 { return f.RespPkts }),
		intCol("resp_ip_bytes", schema.Int64, "IP-level bytes sent by the responder.", func(f *Flow) int64 { return f.RespIPBytes }),
		strCol("community_id", "Community ID v1 (seed 0) of the flow, equal to what Zeek, Suricata and Wireshark print.", nil, func(f *Flow, b []byte) []byte { return append(b, f.cid[:]...) }),
		{Name: "stream", Type: schema.Int64, Default: true, Doc: "Wireshark's tcp.stream or udp.stream index of the conversation (pcapframe follow --stream); null for other protocols.", Int: func(f *Flow) (int64, bool) { return f.Stream, f.Stream >= 0 }},
		intCol("orig_wire_bytes", schema.Int64, "Frame bytes sent by the originator, as Wireshark's Conversations window counts them.", func(f *Flow) int64 { return f.OrigWireBytes }),
		intCol("resp_wire_bytes", schema.Int64, "Frame bytes sent by the responder.", func(f *Flow) int64 { return f.RespWireBytes }),
		{Name: "tunnel_parents", Type: schema.StringList, Default: true, Doc: "Uids of the flows whose tunnels carried this conversation (GRE, ERSPAN, VXLAN, Geneve, GTP-U, IP in IP, Teredo; up to 8 tunnels deep), outermost first, as Zeek's tunnel_parents; null for traffic that was not tunnelled. The tunnel's own flow (UDP 4789 for VXLAN, IP protocol 47 for GRE, ...) is a row too.",
			Strings: func(f *Flow) ([]string, bool) { return f.TunnelParents(), f.parentsN > 0 }},
		intCol("end_ts", schema.Timestamp, "Time of the conversation's last packet (UTC, nanoseconds).", func(f *Flow) int64 { return f.EndTS }),
	},
}

func init() {
	if err := Table.Validate(); err != nil {
		panic(err) // a programming error in the table above, caught by every test
	}
	if err := EndpointTable.Validate(); err != nil {
		panic(err)
	}
}

func intCol(name string, t schema.Type, doc string, get func(*Flow) int64) schema.Column[Flow] {
	return schema.Column[Flow]{Name: name, Type: t, Doc: doc, Default: true, Int: func(f *Flow) (int64, bool) { return get(f), true }}
}

func strCol(name, doc string, when func(*Flow) bool, get func(*Flow, []byte) []byte) schema.Column[Flow] {
	return schema.Column[Flow]{Name: name, Type: schema.String, Doc: doc, Default: true, Append: func(f *Flow, b []byte) ([]byte, bool) {
		if when != nil && !when(f) {
			return b, false
		}
		return get(f, b), true
	}}
}
