package zeeklog

import (
	"github.com/pcapframe/pcapframe/analyzer/dhcp"
	"github.com/pcapframe/pcapframe/analyzer/dns"
	"github.com/pcapframe/pcapframe/analyzer/files"
	"github.com/pcapframe/pcapframe/analyzer/http"
	"github.com/pcapframe/pcapframe/analyzer/ssh"
	"github.com/pcapframe/pcapframe/analyzer/tls"
	"github.com/pcapframe/pcapframe/flow"
)

// logs is the list of Zeek logs, in the order `convert --format zeek` writes them. A log is a declaration over
// a table of package tables: adding one is one more entry here.
var logs = []Log{
	register(conn),
	register(dnsLog),
	register(httpLog),
	register(filesLog),
	register(ssl),
	register(sshLog),
	register(dhcpLog),
}

// connID is Zeek's conn_id record as logged: the four fields id.orig_h, id.orig_p, id.resp_h, id.resp_p, read
// from the columns orig_h, orig_p, resp_h, resp_p that every table of flows and transactions has.
func connID[R any]() []Field[R] {
	return []Field[R]{
		{Name: "id.orig_h", Type: "addr", Column: "orig_h"},
		{Name: "id.orig_p", Type: "port", Column: "orig_p"},
		{Name: "id.resp_h", Type: "addr", Column: "resp_h"},
		{Name: "id.resp_p", Type: "port", Column: "resp_p"},
	}
}

// fields joins lists of fields.
func fields[R any](parts ...[]Field[R]) []Field[R] {
	var out []Field[R]
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// Zeek's transport protocol names (the enum transport_proto).
const (
	ipICMP   = 1
	ipTCP    = 6
	ipUDP    = 17
	ipICMPv6 = 58
)

// positive reports whether the flow lasted: Zeek's conn.log sets duration, orig_bytes and resp_bytes only then.
func positive(f *flow.Flow) bool { return f.EndTS > f.TS }

// conn is conn.log (scripts/base/protocols/conn/main.zeek, Zeek 7.1 with ip_proto, plus community_id from
// policy/protocols/conn/community-id-logging) over the flows table.
var conn = &Def[flow.Flow]{
	Path:  "conn",
	Table: flow.Table,
	Doc:   "One line per conversation, from the flows table.",
	End:   func(f *flow.Flow) int64 { return f.EndTS },
	Fields: fields(
		[]Field[flow.Flow]{
			{Name: "ts", Type: "time", Column: "ts"},
			{Name: "uid", Type: "string", Column: "uid"},
		},
		connID[flow.Flow](),
		[]Field[flow.Flow]{
			{Name: "proto", Type: "enum", Doc: "tcp, udp or icmp (ICMPv6 too, as Zeek); unknown_transport for other IP protocols (their ports are 0).",
				Value: func(f *flow.Flow, v *Value) bool {
					switch f.Proto {
					case ipTCP:
						v.Bytes = append(v.Bytes[:0], "tcp"...)
					case ipUDP:
						v.Bytes = append(v.Bytes[:0], "udp"...)
					case ipICMP, ipICMPv6:
						v.Bytes = append(v.Bytes[:0], "icmp"...)
					default:
						v.Bytes = append(v.Bytes[:0], "unknown_transport"...)
					}
					return true
				}},
			{Name: "service", Type: "string", Column: "service"},
			{Name: "duration", Type: "interval", Column: "duration", If: positive, Doc: "unset when the conversation has one timestamp (duration 0), as Zeek."},
			{Name: "orig_bytes", Type: "count", Column: "orig_bytes", If: positive, Doc: "unset when the duration is 0, as Zeek."},
			{Name: "resp_bytes", Type: "count", Column: "resp_bytes", If: positive, Doc: "unset when the duration is 0, as Zeek."},
			{Name: "conn_state", Type: "string", Column: "conn_state"},
			{Name: "local_orig", Type: "bool", Doc: "pcapframe has no Site::local_nets."},
			{Name: "local_resp", Type: "bool", Doc: "pcapframe has no Site::local_nets."},
			{Name: "missed_bytes", Type: "count", Column: "missed_bytes"},
			{Name: "history", Type: "string", Column: "history"},
			{Name: "orig_pkts", Type: "count", Column: "orig_pkts"},
			{Name: "orig_ip_bytes", Type: "count", Column: "orig_ip_bytes"},
			{Name: "resp_pkts", Type: "count", Column: "resp_pkts"},
			{Name: "resp_ip_bytes", Type: "count", Column: "resp_ip_bytes"},
			{Name: "tunnel_parents", Type: "set[string]", Column: "tunnel_parents", Doc: "unset outside tunnels, as Zeek."},
			{Name: "ip_proto", Type: "count", Doc: "The IP protocol number.",
				Value: func(f *flow.Flow, v *Value) bool { v.Int = int64(f.Proto); return true }},
			{Name: "community_id", Type: "string", Column: "community_id"},
		},
	),
}

// dnsLog is dns.log (scripts/base/protocols/dns/main.zeek) over the dns table.
var dnsLog = &Def[dns.Row]{
	Path:  "dns",
	Table: dns.Table,
	Doc:   "One line per DNS transaction, from the dns table.",
	Fields: fields(
		[]Field[dns.Row]{
			{Name: "ts", Type: "time", Column: "ts"},
			{Name: "uid", Type: "string", Column: "uid"},
		},
		connID[dns.Row](),
		[]Field[dns.Row]{
			{Name: "proto", Type: "enum", Column: "proto"},
			{Name: "trans_id", Type: "count", Column: "trans_id"},
			{Name: "rtt", Type: "interval", Column: "rtt"},
			{Name: "query", Type: "string", Column: "query_raw", Doc: "The name's bytes (query_raw), escaped by the log format as Zeek escapes them."},
			{Name: "qclass", Type: "count", Column: "qclass"},
			{Name: "qclass_name", Type: "string", Column: "qclass_name"},
			{Name: "qtype", Type: "count", Column: "qtype"},
			{Name: "qtype_name", Type: "string", Column: "qtype_name"},
			{Name: "rcode", Type: "count", Column: "rcode"},
			{Name: "rcode_name", Type: "string", Column: "rcode_name"},
			{Name: "AA", Type: "bool", Column: "AA", Zero: true, Doc: "F without a response (Zeek's &default=F)."},
			{Name: "TC", Type: "bool", Column: "TC", Zero: true},
			{Name: "RD", Type: "bool", Column: "RD", Zero: true},
			{Name: "RA", Type: "bool", Column: "RA", Zero: true, Doc: "F without a response (Zeek's &default=F)."},
			{Name: "Z", Type: "count", Column: "Z", Zero: true},
			{Name: "answers", Type: "vector[string]", Column: "answers", Unescape: UnescapeDNS, Doc: "the dns table's, with its escapes (\\\\, \\xHH) turned back into the bytes, which the log escapes once as Zeek does."},
			{Name: "TTLs", Type: "vector[interval]", Column: "TTLs"},
			{Name: "rejected", Type: "bool", Column: "rejected", Zero: true},
		},
	),
}

// ssl is ssl.log (scripts/base/protocols/ssl/main.zeek and files.zeek, with Zeek's default filter, which
// leaves out subject, issuer, client_subject and client_issuer, plus ja3 and ja3s as the ja3 package logs
// them) over the tls table.
var ssl = &Def[tls.Row]{
	Path:  "ssl",
	Table: tls.Table,
	Doc:   "One line per TLS handshake or QUIC connection, from the tls table.",
	Fields: fields(
		[]Field[tls.Row]{
			{Name: "ts", Type: "time", Column: "ts", Doc: "The flow's first packet (Zeek: the first TLS message)."},
			{Name: "uid", Type: "string", Column: "uid"},
		},
		connID[tls.Row](),
		[]Field[tls.Row]{
			{Name: "version", Type: "string", Column: "version"},
			{Name: "cipher", Type: "string", Column: "cipher"},
			{Name: "curve", Type: "string", Column: "curve"},
			{Name: "server_name", Type: "string", Column: "server_name"},
			{Name: "resumed", Type: "bool", Column: "resumed", Zero: true},
			{Name: "last_alert", Type: "string", Column: "last_alert"},
			{Name: "next_protocol", Type: "string", Column: "next_protocol"},
			{Name: "established", Type: "bool", Column: "established", Zero: true},
			{Name: "ssl_history", Type: "string", Doc: "the tls table does not keep the order of every handshake message."},
			{Name: "cert_chain_fps", Type: "vector[string]", Column: "cert_chain_fps"},
			{Name: "client_cert_chain_fps", Type: "vector[string]", Doc: "client certificates are not parsed."},
			{Name: "sni_matches_cert", Type: "bool", Column: "sni_matches_cert"},
			{Name: "ja3", Type: "string", Column: "ja3", Doc: "As the widely deployed ja3 package (salesforce/ja3) adds it."},
			{Name: "ja3s", Type: "string", Column: "ja3s", Doc: "As the ja3 package adds it."},
		},
	),
}

// sshLog is ssh.log (scripts/base/protocols/ssh/main.zeek) over the ssh table, plus the fields the hassh package
// (salesforce/hassh) adds.
var sshLog = &Def[ssh.Row]{
	Path:  "ssh",
	Table: ssh.Table,
	Doc:   "One line per SSH connection, from the ssh table.",
	Fields: fields(
		[]Field[ssh.Row]{
			{Name: "ts", Type: "time", Column: "ts"},
			{Name: "uid", Type: "string", Column: "uid"},
		},
		connID[ssh.Row](),
		[]Field[ssh.Row]{
			{Name: "version", Type: "count", Column: "version"},
			{Name: "auth_success", Type: "bool", Column: "auth_success", Doc: "An inference from packet sizes, as Zeek's."},
			{Name: "auth_attempts", Type: "count", Column: "auth_attempts", Zero: true},
			{Name: "direction", Type: "enum", Column: "direction", Doc: "From private/public addresses (Zeek: from Site::local_nets)."},
			{Name: "client", Type: "string", Column: "client"},
			{Name: "server", Type: "string", Column: "server"},
			{Name: "cipher_alg", Type: "string", Column: "cipher_alg"},
			{Name: "mac_alg", Type: "string", Column: "mac_alg"},
			{Name: "compression_alg", Type: "string", Column: "compression_alg"},
			{Name: "kex_alg", Type: "string", Column: "kex_alg"},
			{Name: "host_key_alg", Type: "string", Column: "host_key_alg"},
			{Name: "host_key", Type: "string", Doc: "the ssh table does not keep the server's host key fingerprint."},
			{Name: "hassh", Type: "string", Column: "hassh", Doc: "As the hassh package logs it."},
			{Name: "hasshServer", Type: "string", Column: "hassh_server", Doc: "As the hassh package logs it."},
			{Name: "cshka", Type: "string", Column: "client_host_key_algorithms", Doc: "As the hassh package logs it."},
			{Name: "hasshAlgorithms", Type: "string", Column: "hassh_algorithms", Doc: "As the hassh package logs it."},
			{Name: "sshka", Type: "string", Column: "server_host_key_algorithms", Doc: "As the hassh package logs it."},
			{Name: "hasshServerAlgorithms", Type: "string", Column: "hassh_server_algorithms", Doc: "As the hassh package logs it."},
		},
	),
}

// httpLog is http.log (scripts/base/protocols/http/main.zeek and entities.zeek) over the http table.
var httpLog = &Def[http.Row]{
	Path:  "http",
	Table: http.Table,
	Doc:   "One line per HTTP request/response pair, from the http table.",
	Fields: fields(
		[]Field[http.Row]{
			{Name: "ts", Type: "time", Column: "ts"},
			{Name: "uid", Type: "string", Column: "uid"},
		},
		connID[http.Row](),
		[]Field[http.Row]{
			{Name: "trans_depth", Type: "count", Column: "trans_depth"},
			{Name: "method", Type: "string", Column: "method", Unescape: Unescape},
			{Name: "host", Type: "string", Column: "host", Unescape: Unescape},
			{Name: "uri", Type: "string", Column: "uri", Unescape: Unescape, Doc: "as sent (Zeek percent-decodes it)."},
			{Name: "referrer", Type: "string", Column: "referrer", Unescape: Unescape},
			{Name: "version", Type: "string", Column: "version"},
			{Name: "user_agent", Type: "string", Column: "user_agent", Unescape: Unescape},
			{Name: "origin", Type: "string", Column: "origin", Unescape: Unescape},
			{Name: "request_body_len", Type: "count", Column: "request_body_len", Zero: true},
			{Name: "response_body_len", Type: "count", Column: "response_body_len", Zero: true},
			{Name: "status_code", Type: "count", Column: "status_code"},
			{Name: "status_msg", Type: "string", Column: "status_msg", Unescape: Unescape},
			{Name: "info_code", Type: "count", Column: "info_code"},
			{Name: "info_msg", Type: "string", Column: "info_msg", Unescape: Unescape},
			{Name: "tags", Type: "set[enum]", Column: "tags", Doc: "always (empty), as Zeek's base scripts write it; Zeek's URI_SQLI tag (policy/protocols/http/detect-sqli.zeek, loaded by the stock local.zeek) is not computed."},
			{Name: "username", Type: "string", Column: "username", Unescape: Unescape},
			{Name: "password", Type: "string", Column: "password", Unescape: Unescape, Doc: "logged, as Zeek does with HTTP::default_capture_password = T (sensitive)."},
			{Name: "proxied", Type: "set[string]", Column: "proxied", Unescape: Unescape},
			{Name: "orig_fuids", Type: "vector[string]", Column: "orig_fuids"},
			{Name: "orig_filenames", Type: "vector[string]", Column: "orig_filenames", Unescape: Unescape},
			{Name: "orig_mime_types", Type: "vector[string]", Column: "orig_mime_types"},
			{Name: "resp_fuids", Type: "vector[string]", Column: "resp_fuids"},
			{Name: "resp_filenames", Type: "vector[string]", Column: "resp_filenames", Unescape: Unescape},
			{Name: "resp_mime_types", Type: "vector[string]", Column: "resp_mime_types"},
		},
	),
}

// dhcpLog is dhcp.log (scripts/base/protocols/dhcp/main.zeek) over the DHCPv4 rows of the dhcp table (Zeek
// logs no DHCPv6), plus client_software as policy/protocols/dhcp/software.zeek adds it.
var dhcpLog = &Def[dhcp.Row]{
	Path:  "dhcp",
	Table: dhcp.Table,
	Doc:   "One line per DHCPv4 or BOOTP transaction, from the dhcp table (its DHCPv6 rows are not logged, as Zeek logs no DHCPv6).",
	Keep:  func(r *dhcp.Row) bool { return r.Version == 4 },
	End:   func(r *dhcp.Row) int64 { return r.LastTS },
	Fields: []Field[dhcp.Row]{
		{Name: "ts", Type: "time", Column: "ts"},
		{Name: "uids", Type: "set[string]", Column: "uids"},
		{Name: "client_addr", Type: "addr", Column: "client_addr"},
		{Name: "server_addr", Type: "addr", Column: "server_addr"},
		{Name: "mac", Type: "string", Column: "mac"},
		{Name: "host_name", Type: "string", Column: "host_name"},
		{Name: "client_fqdn", Type: "string", Column: "client_fqdn"},
		{Name: "domain", Type: "string", Column: "domain"},
		{Name: "requested_addr", Type: "addr", Column: "requested_addr"},
		{Name: "assigned_addr", Type: "addr", Column: "assigned_addr"},
		{Name: "lease_time", Type: "interval", Column: "lease_time"},
		{Name: "client_message", Type: "string", Column: "client_message"},
		{Name: "server_message", Type: "string", Column: "server_message"},
		{Name: "msg_types", Type: "vector[string]", Column: "msg_types"},
		{Name: "duration", Type: "interval", Column: "duration"},
		{Name: "client_software", Type: "string", Column: "vendor_class", Doc: "the vendor class (option 60), as policy/protocols/dhcp/software.zeek logs it."},
	},
}

// hashAnalyzers are the file analyzers whose results the files table holds (Zeek's analyzers set).
var hashAnalyzers = []string{"MD5", "SHA1", "SHA256"}

// filesLog is files.log (scripts/base/frameworks/files/main.zeek with base/files/hash) over the files table.
var filesLog = &Def[files.Row]{
	Path:  "files",
	Table: files.Table,
	Doc:   "One line per object carried by HTTP, SMTP, FTP or IRC DCC, from the files table.",
	Fields: fields(
		[]Field[files.Row]{
			{Name: "ts", Type: "time", Column: "ts"},
			{Name: "fuid", Type: "string", Column: "fuid"},
			{Name: "uid", Type: "string", Column: "uid"},
		},
		connID[files.Row](),
		[]Field[files.Row]{
			{Name: "source", Type: "string", Column: "source"},
			{Name: "depth", Type: "count", Column: "depth"},
			{Name: "analyzers", Type: "set[string]", Doc: "MD5, SHA1 and SHA256: the hashes the files table computes for every object.",
				Value: func(r *files.Row, v *Value) bool { v.Strings = hashAnalyzers; return true }},
			{Name: "mime_type", Type: "string", Column: "mime_type"},
			{Name: "filename", Type: "string", Column: "filename", Unescape: Unescape, Doc: "the files table's, with the \\xHH escapes it writes for unsafe bytes turned back into the bytes, which the log escapes once as Zeek does (a name that held such an escape as text cannot be told apart)."},
			{Name: "duration", Type: "interval", Doc: "the files table keeps the frames, not the time, of an object's last byte."},
			{Name: "local_orig", Type: "bool", Doc: "pcapframe has no Site::local_nets."},
			{Name: "is_orig", Type: "bool", Doc: "the originator sent the object (direction orig).",
				Value: func(r *files.Row, v *Value) bool { v.Int = b2i(r.FromOrig); return true }},
			{Name: "seen_bytes", Type: "count", Column: "seen_bytes"},
			{Name: "total_bytes", Type: "count", Column: "total_bytes"},
			{Name: "missing_bytes", Type: "count", Column: "missing_bytes"},
			{Name: "overflow_bytes", Type: "count", Doc: "not counted by the files table."},
			{Name: "timedout", Type: "bool", Doc: "pcapframe has no file timeouts."},
			{Name: "parent_fuid", Type: "string", Doc: "the files table does not nest objects (a MIME part's message is not an object of its own)."},
			{Name: "md5", Type: "string", Column: "md5"},
			{Name: "sha1", Type: "string", Column: "sha1"},
			{Name: "sha256", Type: "string", Column: "sha256"},
			{Name: "extracted", Type: "string", Doc: "pcapframe extract writes the files, with its own index."},
			{Name: "extracted_cutoff", Type: "bool", Doc: "as extracted."},
			{Name: "extracted_size", Type: "count", Doc: "as extracted."},
		},
	),
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
