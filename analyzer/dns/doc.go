// Package dns is the analyzer of the dns table: one row per DNS transaction, as Zeek's dns.log, over UDP and TCP,
// mDNS (port 5353) and LLMNR (5355) included.
//
// # Which flows
//
// UDP datagrams are parsed when either port is 53, 5353 or 5355. On other ports a datagram is parsed only when it
// passes a strict plausibility test (one question, opcode 0, small counts, the whole message parsed without a
// note, class IN or ANY, no answer in a query); a flow with one such message is then parsed whole. Ports 853
// (DNS over TLS, and DNS over QUIC on UDP: encrypted), 137 and 138 (NetBIOS, DNS-like but another protocol) are
// never guessed. TCP connections on ports 53, 5353 and 5355 are parsed as a sequence of messages, each after a
// 2-byte length (RFC 1035 §4.2.2), over the reassembled stream; a gap, or a message without a valid header and
// question, ends the parsing of that direction (message boundaries are lost). Service reports "dns" for a flow
// in which a message's header and question parsed.
//
// # Transactions
//
// A query waits, in its flow, for a response with the same transaction id and the same question (type, class
// and name, ASCII case ignored; a message without a question matches on the id alone). As in tshark, a query
// sent within 5 s of a waiting query with the same id is a retransmission, and a response is matched to the
// newest waiting query that is not a retransmission (so to the first of a burst of repeats), else to the newest
// retransmission; Zeek takes the oldest waiting query instead. The retransmissions left are rows without a
// response. A response without a waiting query is a row of its own, emitted at once (a response
// captured before its query is not matched). Queries still waiting when their flow ends (FlowEnd) are rows
// without a response. Waiting queries are capped (DefaultMaxPending over all flows, DefaultMaxPendingPerFlow per
// flow, SetLimits): when a cap is reached the oldest waiting query is emitted as unanswered and counted
// (Stats.Evicted).
//
// # Names
//
// A name's bytes are kept exactly in two columns. query is an escaped text form: printable ASCII (0x20-0x7e) is
// written as is, except the backslash, written \\; every other byte is written \xHH (two lower-case hex digits),
// and so is a '.' inside a label (\x2e), so that a plain '.' always separates labels; the root name is ".". The
// form is reversible: read \\ as a backslash, \xHH as that byte and '.' as a label boundary. query_raw holds the
// labels' bytes joined by '.', unescaped (a dot inside a label cannot be told from a separator there; query tells
// it). Answers and TXT strings use the same escapes.
//
// # Parsing
//
// The parser is our own (msg.go), not gopacket's layers.DNS, which was considered first: gopacket allocates on
// every TXT response (TestGopacketDecision), returns at the first damaged record an error whose text is no
// stable classification for a note, and joins labels with '.' in its public fields, so that a label containing
// a dot cannot be told from two labels (its label metadata is unexported); the answers as Zeek writes them need
// a walk over the records' data anyway. Ours parses a reused message in place without allocating
// (TestParseNoAlloc, BenchmarkParse), keeps what precedes damage, and records what went wrong as the row's note
// (truncated header, counts that exceed the message, labels over 63 bytes, names over 255 bytes, compression
// pointer loops and pointers past the end, record data past the end or of the wrong length for its type,
// trailing bytes). A compression pointer must point before the run of labels it ends (RFC 1035 §4.1.4: a
// prior occurrence), so no pointer chain can loop (a forward pointer, which encoders do not write, is noted as
// a loop); at most 128 jumps are followed. It agrees with gopacket on every corpus message both decode
// (TestGopacketDecision) and in a differential fuzz target (FuzzParse).
//
// # Columns
//
// Zeek's dns.log columns keep Zeek's meanings (rejected: a response with no record at all, or with an error and
// no question; rtt null when zero; answers as Zeek writes them, with "<unknown type=N>" for types Zeek does not
// format so that answers, TTLs and answer_types stay aligned). Beyond Zeek: community_id, opcode, the frames of
// query and response, the response size, EDNS (present, UDP size, DO bit: of the query, else of the response)
// and, for hunting, base_domain (public suffix and one more label, golang.org/x/net/publicsuffix), subdomain,
// label_count, longest_label and subdomain_entropy (Shannon entropy of the subdomain's bytes, bits per byte).
//
// Where the row differs from Zeek's dns.log: Zeek logs transactions of opcode 0 only, this table every opcode
// (NOTIFY, UPDATE, ...: the opcode column); TC, RD and Z come from the query as in Zeek (from the response when
// no query was seen), AA and RA from the response and null without one; rcode is the header's 4 bits.
//
// # Bounds
//
// Every loop is bounded by the message's length; a name by 255 bytes and 128 compression jumps; a row keeps at
// most 256 answers (noteManyAnswers); waiting queries are capped (above: at most about 25 MB when every one
// asks for a name of 255 bytes); TCP messages split across Data calls
// are held under a budget over all connections (MaxTCPBuffered, 64 KiB + 2 bytes per direction at most); the
// state of a flow is dropped at FlowEnd. Stats counts messages, rows and, per note, the messages that had it.
package dns
