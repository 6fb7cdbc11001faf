package dns

import (
	"net/netip"

	"github.com/pcapframe/pcapframe/schema"
)

// Row is one DNS transaction: a query and its response, a query never answered, or a response whose query was
// not seen. The emit function of New gets a *Row that is reused once emit returns, so emit must not keep the
// pointer; everything the row refers to is its own (texts are immutable strings, lists are not shared with any
// other row and never written again), so emit may keep a copy of the Row value, as a writer buffering rows does.
type Row struct {
	TS               int64 // time of the query, or of the response when no query was seen
	UID, CommunityID string
	OrigH, RespH     netip.Addr
	OrigP, RespP     uint16
	Proto            uint8 // 17 UDP, 6 TCP
	TransID          uint16
	Opcode           uint8

	HasQuestion bool   // a question was parsed (from the query, else from the response)
	Query       string // the question's name in the escaped text form (see the package documentation)
	QueryRaw    string // the question's name as its raw label bytes joined by '.'
	QClass      uint16
	QType       uint16

	HasResponse    bool
	Rcode          uint8
	AA, TC, RD, RA bool
	Z              uint8
	Answers        []string  // the answer section as Zeek writes answers
	TTLs           []float64 // their TTLs, seconds
	AnswerTypes    []string  // their record types, by Zeek's names
	Rejected       bool

	QueryFrame, ResponseFrame int64 // frame numbers; 0 when that message was not seen
	QueryTime, ResponseTime   int64
	ResponseSize              int64 // bytes of the DNS response message

	EDNS        bool // an OPT record was present (in the query, else in the response)
	EDNSUDPSize uint16
	EDNSDO      bool

	HasBase          bool   // the name has a registered domain
	BaseDomain       string // lower-cased, escaped
	Subdomain        string // escaped, case kept; empty when the name is its base domain
	LabelCount       int
	LongestLabel     int
	SubdomainEntropy float64

	Note string // what went wrong while parsing ("query: ..." and/or "response: ..."); empty when nothing
}

func protoName(p uint8) string {
	if p == 6 {
		return "tcp"
	}
	return "udp"
}

// Table is the dns table: one row per DNS transaction, with the columns of Zeek's dns.log (the "id." prefix
// dropped) and more for hunting.
var Table = &schema.Table[Row]{
	Name: "dns",
	Doc: "One row per DNS transaction over UDP or TCP (DNS, mDNS, LLMNR): a query and its response matched by flow, " +
		"transaction id and question, a query never answered, or a response whose query was not seen; columns " +
		"follow Zeek's dns.log, plus frames, EDNS and what hunting needs (base domain, subdomain, entropy).",
	Columns: []schema.Column[Row]{
		intCol("ts", schema.Timestamp, true, "Time of the query, or of the response when no query was seen (UTC, nanoseconds).", nil, func(r *Row) int64 { return r.TS }),
		strCol("uid", true, "Unique id of the flow that carried the transaction (joins flows.uid).", nil, func(r *Row, b []byte) []byte { return append(b, r.UID...) }),
		strCol("orig_h", true, "Flow originator's address.", nil, func(r *Row, b []byte) []byte { return r.OrigH.AppendTo(b) }),
		intCol("orig_p", schema.Int32, true, "Flow originator's port.", nil, func(r *Row) int64 { return int64(r.OrigP) }),
		strCol("resp_h", true, "Flow responder's address.", nil, func(r *Row, b []byte) []byte { return r.RespH.AppendTo(b) }),
		intCol("resp_p", schema.Int32, true, "Flow responder's port.", nil, func(r *Row) int64 { return int64(r.RespP) }),
		strCol("proto", true, "Transport protocol: udp or tcp.", nil, func(r *Row, b []byte) []byte { return append(b, protoName(r.Proto)...) }),
		intCol("trans_id", schema.Int32, true, "DNS transaction id (16 bits).", nil, func(r *Row) int64 { return int64(r.TransID) }),
		{Name: "rtt", Type: schema.Float64, Default: true, Doc: "Seconds from the query to its response; null unless both were seen (and, as in Zeek, when zero).",
			Float: func(r *Row) (float64, bool) {
				d := r.ResponseTime - r.QueryTime
				return float64(d) / 1e9, r.QueryFrame != 0 && r.ResponseFrame != 0 && d != 0
			}},
		strCol("query", true, `Queried name, escaped: printable ASCII as is, a backslash as \\, other bytes and a dot inside a label as \xHH (reversible); "." for the root; null without a question.`, hasQ, func(r *Row, b []byte) []byte { return append(b, r.Query...) }),
		{Name: "query_raw", Type: schema.Bytes, Doc: "Queried name exactly as sent: the labels' bytes joined by '.' (a dot inside a label shows only in query); null without a question.",
			Append: func(r *Row, b []byte) ([]byte, bool) { return append(b, r.QueryRaw...), r.HasQuestion }},
		intCol("qclass", schema.Int32, true, "Class of the question (1 IN; mDNS sets the top bit for unicast responses).", hasQ, func(r *Row) int64 { return int64(r.QClass) }),
		strCol("qclass_name", true, "Zeek's name of the class: C_INTERNET, C_CHAOS, ..., or qclass-N.", hasQ, func(r *Row, b []byte) []byte { return appendClassName(b, r.QClass) }),
		intCol("qtype", schema.Int32, true, "Type of the question (1 A, 28 AAAA, 16 TXT, ...).", hasQ, func(r *Row) int64 { return int64(r.QType) }),
		strCol("qtype_name", true, "Zeek's name of the question type: A, AAAA, TXT, *, ..., or query-N.", hasQ, func(r *Row, b []byte) []byte { return appendTypeName(b, r.QType) }),
		intCol("rcode", schema.Int32, true, "Response code of the header (4 bits); null without a response.", hasR, func(r *Row) int64 { return int64(r.Rcode) }),
		strCol("rcode_name", true, "Zeek's name of the response code: NOERROR, NXDOMAIN, SERVFAIL, ...; null without a response.", hasR, func(r *Row, b []byte) []byte { return append(b, rcodeNames[r.Rcode&15]...) }),
		intCol("AA", schema.Bool, true, "Authoritative Answer bit of the response; null without a response.", hasR, func(r *Row) int64 { return b2i(r.AA) }),
		intCol("TC", schema.Bool, true, "Truncation bit (of the query, else of the response).", nil, func(r *Row) int64 { return b2i(r.TC) }),
		intCol("RD", schema.Bool, true, "Recursion Desired bit (of the query, else of the response).", nil, func(r *Row) int64 { return b2i(r.RD) }),
		intCol("RA", schema.Bool, true, "Recursion Available bit of the response; null without a response.", hasR, func(r *Row) int64 { return b2i(r.RA) }),
		intCol("Z", schema.Int32, true, "The three header bits after RA (reserved, AD, CD) as a number, as Zeek's Z (of the query, else of the response).", nil, func(r *Row) int64 { return int64(r.Z) }),
		{Name: "answers", Type: schema.StringList, Default: true, Doc: "Answer section as Zeek writes it: A/AAAA address, CNAME/NS/PTR/MX/SRV/SOA name, \"TXT <length> <text>\" per string (escaped), <unknown type=N> for others; null without a response.",
			Strings: func(r *Row) ([]string, bool) { return r.Answers, r.HasResponse }},
		{Name: "TTLs", Type: schema.Float64List, Default: true, Doc: "Time to live of each answer, seconds, in the order of answers; null without a response.",
			Floats: func(r *Row) ([]float64, bool) { return r.TTLs, r.HasResponse }},
		intCol("rejected", schema.Bool, true, "As Zeek: a response with no record at all, or with an error rcode and no question.", nil, func(r *Row) int64 { return b2i(r.Rejected) }),
		strCol("community_id", false, "Community ID v1 of the flow (joins flows.community_id).", nil, func(r *Row, b []byte) []byte { return append(b, r.CommunityID...) }),
		intCol("opcode", schema.Int32, false, "Opcode of the query (else of the response): 0 query, 4 notify, 5 update, ...", nil, func(r *Row) int64 { return int64(r.Opcode) }),
		{Name: "answer_types", Type: schema.StringList, Doc: "Record type of each answer, by Zeek's names (A, CNAME, ...), in the order of answers; null without a response.",
			Strings: func(r *Row) ([]string, bool) { return r.AnswerTypes, r.HasResponse }},
		intCol("query_frame", schema.Int64, false, "Frame number of the query (of the packet that completed it, over TCP); null when not seen.", func(r *Row) bool { return r.QueryFrame != 0 }, func(r *Row) int64 { return r.QueryFrame }),
		intCol("response_frame", schema.Int64, false, "Frame number of the response (of the packet that completed it, over TCP); null when not seen.", func(r *Row) bool { return r.ResponseFrame != 0 }, func(r *Row) int64 { return r.ResponseFrame }),
		intCol("response_size", schema.Int64, false, "Bytes of the DNS response message (without the TCP length prefix); null without a response.", hasR, func(r *Row) int64 { return r.ResponseSize }),
		intCol("edns", schema.Bool, false, "An EDNS OPT record was present (in the query, else in the response).", nil, func(r *Row) int64 { return b2i(r.EDNS) }),
		intCol("edns_udp_size", schema.Int32, false, "EDNS UDP payload size advertised (by the query, else by the response); null without EDNS.", func(r *Row) bool { return r.EDNS }, func(r *Row) int64 { return int64(r.EDNSUDPSize) }),
		intCol("edns_do", schema.Bool, false, "EDNS DNSSEC OK bit (of the query, else of the response); null without EDNS.", func(r *Row) bool { return r.EDNS }, func(r *Row) int64 { return b2i(r.EDNSDO) }),
		strCol("base_domain", true, "Registered domain of the query: its public suffix and one more label (golang.org/x/net/publicsuffix, ICANN and private rules), lower case, escaped as query; null when the name is a single label or a public suffix.", func(r *Row) bool { return r.HasBase }, func(r *Row, b []byte) []byte { return append(b, r.BaseDomain...) }),
		strCol("subdomain", false, "Part of the query before base_domain (escaped as query, case kept); empty when the query is its base domain, null without base_domain.", func(r *Row) bool { return r.HasBase }, func(r *Row, b []byte) []byte { return append(b, r.Subdomain...) }),
		intCol("label_count", schema.Int32, false, "Labels in the query (0 for the root).", hasQ, func(r *Row) int64 { return int64(r.LabelCount) }),
		intCol("longest_label", schema.Int32, false, "Bytes in the query's longest label.", hasQ, func(r *Row) int64 { return int64(r.LongestLabel) }),
		{Name: "subdomain_entropy", Type: schema.Float64, Doc: "Shannon entropy of the subdomain's bytes (dots between labels excluded), bits per byte; 0 for an empty subdomain, null without base_domain.",
			Float: func(r *Row) (float64, bool) { return r.SubdomainEntropy, r.HasBase }},
		strCol("note", false, "What went wrong while parsing, as Zeek's weird.log would name it (\"query: compression pointer loop\", \"response: truncated: counts exceed the message\", ...); null when nothing.", func(r *Row) bool { return len(r.Note) > 0 }, func(r *Row, b []byte) []byte { return append(b, r.Note...) }),
	},
}

func init() {
	if err := Table.Validate(); err != nil {
		panic(err) // a programming error in the table above, caught by every test
	}
}

func hasQ(r *Row) bool { return r.HasQuestion }
func hasR(r *Row) bool { return r.HasResponse }

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func intCol(name string, t schema.Type, def bool, doc string, when func(*Row) bool, get func(*Row) int64) schema.Column[Row] {
	return schema.Column[Row]{Name: name, Type: t, Doc: doc, Default: def, Int: func(r *Row) (int64, bool) {
		if when != nil && !when(r) {
			return 0, false
		}
		return get(r), true
	}}
}

func strCol(name string, def bool, doc string, when func(*Row) bool, get func(*Row, []byte) []byte) schema.Column[Row] {
	return schema.Column[Row]{Name: name, Type: schema.String, Doc: doc, Default: def, Append: func(r *Row, b []byte) ([]byte, bool) {
		if when != nil && !when(r) {
			return b, false
		}
		return get(r, b), true
	}}
}
