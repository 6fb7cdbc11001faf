package ssh

import (
	"net/netip"

	"github.com/pcapframe/pcapframe/schema"
)

// Row is one SSH connection. The emit function of New gets a *Row that is reused once emit returns; the values
// it refers to are never written again, so emit may keep a copy of the Row value.
type Row struct {
	TS               int64 // time of the flow's first packet
	UID, CommunityID string
	OrigH, RespH     netip.Addr
	OrigP, RespP     uint16

	Version        int    // 1 or 2 (SSH-1.99 is 2); 0 when no identification was seen
	Client, Server string // identification lines, without the line end, as sent

	HasAuth      bool // an authentication attempt was inferred
	AuthSuccess  bool
	AuthAttempts int
	Direction    string // INBOUND, OUTBOUND or ""

	KexAlg, HostKeyAlg, CipherAlg, MACAlg, CompressionAlg string

	HASSH, HASSHAlgorithms               string
	HASSHServer, HASSHServerAlgorithms   string
	ClientHostKeyAlgs, ServerHostKeyAlgs string // the host key name-lists of each KEXINIT (HASSH's cshka, sshka)
	ClientKexAlgs, ServerKexAlgs         string // the kex name-lists

	ClientKexInitFrame, ServerKexInitFrame int64
	Note                                   string
}

// Table is the ssh table.
var Table = &schema.Table[Row]{
	Name: "ssh",
	Doc: "One row per SSH connection (recognised by its identification lines, on any port), in the order the flows " +
		"ended: Zeek's ssh.log columns (versions, negotiated algorithms, the authentication outcome Zeek infers from " +
		"encrypted packet sizes) and the HASSH fingerprints of both key-exchange offers.",
	Columns: []schema.Column[Row]{
		{Name: "ts", Type: schema.Timestamp, Default: true, Doc: "Time of the flow's first packet (UTC, nanoseconds), as Zeek's ssh.log.", Int: func(r *Row) (int64, bool) { return r.TS, true }},
		str("uid", true, "The flows table's uid of the connection.", func(r *Row) string { return r.UID }),
		str("community_id", false, "Community ID v1 of the flow, as in the flows table.", func(r *Row) string { return r.CommunityID }),
		{Name: "orig_h", Type: schema.String, Default: true, Doc: "Client address (the flow's originator).", Append: func(r *Row, b []byte) ([]byte, bool) { return r.OrigH.AppendTo(b), r.OrigH.IsValid() }},
		{Name: "orig_p", Type: schema.Int32, Default: true, Doc: "Client port.", Int: func(r *Row) (int64, bool) { return int64(r.OrigP), true }},
		{Name: "resp_h", Type: schema.String, Default: true, Doc: "Server address (the flow's responder).", Append: func(r *Row, b []byte) ([]byte, bool) { return r.RespH.AppendTo(b), r.RespH.IsValid() }},
		{Name: "resp_p", Type: schema.Int32, Default: true, Doc: "Server port.", Int: func(r *Row) (int64, bool) { return int64(r.RespP), true }},
		{Name: "version", Type: schema.Int32, Default: true, Doc: "SSH major version of the identification lines: 2 (SSH-2.0, and SSH-1.99 from both), or 1; null when neither side sent one.", Int: func(r *Row) (int64, bool) { return int64(r.Version), r.Version > 0 }},
		{Name: "auth_success", Type: schema.Bool, Default: true, Doc: "INFERENCE, not an observation: whether authentication succeeded, guessed as Zeek does from the sizes of the server's first encrypted segments (see the package documentation); null when no attempt was inferred.", Int: func(r *Row) (int64, bool) { return b2i(r.AuthSuccess), r.HasAuth }},
		{Name: "auth_attempts", Type: schema.Int32, Default: true, Doc: "INFERENCE: authentication attempts counted from encrypted segment sizes, as Zeek's auth_attempts (0 when none was inferred).", Int: func(r *Row) (int64, bool) { return int64(r.AuthAttempts), true }},
		str("direction", true, "OUTBOUND when the client's address is private, loopback or link-local and the server's is not, INBOUND for the reverse, else null (Zeek uses its configured local networks).", func(r *Row) string { return r.Direction }),
		str("client", true, "Client's identification line (SSH-2.0-software comments), as sent, without its line end.", func(r *Row) string { return r.Client }),
		str("server", true, "Server's identification line, as sent, without its line end.", func(r *Row) string { return r.Server }),
		str("cipher_alg", true, "Encryption algorithm chosen (RFC 4253 §7.1: the first of the client's list the server supports); \"to server: X, to client: Y\" when the directions differ, as Zeek.", func(r *Row) string { return r.CipherAlg }),
		str("mac_alg", true, "MAC algorithm chosen by the same rule (with an AEAD cipher the implementations ignore it).", func(r *Row) string { return r.MACAlg }),
		str("compression_alg", true, "Compression algorithm chosen by the same rule.", func(r *Row) string { return r.CompressionAlg }),
		str("kex_alg", true, "Key-exchange algorithm chosen by the same rule.", func(r *Row) string { return r.KexAlg }),
		str("host_key_alg", true, "Server host key algorithm chosen by the same rule.", func(r *Row) string { return r.HostKeyAlg }),
		str("hassh", true, "HASSH of the client (salesforce/hassh): MD5 of hassh_algorithms, lower-case hex.", func(r *Row) string { return r.HASSH }),
		str("hassh_algorithms", false, "The client's kex;encryption;mac;compression name-lists (client to server), as HASSH hashes them.", func(r *Row) string { return r.HASSHAlgorithms }),
		str("hassh_server", true, "HASSHServer of the server: MD5 of hassh_server_algorithms, lower-case hex.", func(r *Row) string { return r.HASSHServer }),
		str("hassh_server_algorithms", false, "The server's kex;encryption;mac;compression name-lists (server to client), as HASSHServer hashes them.", func(r *Row) string { return r.HASSHServerAlgorithms }),
		str("client_kex_algorithms", false, "The client KEXINIT's kex_algorithms name-list.", func(r *Row) string { return r.ClientKexAlgs }),
		str("server_kex_algorithms", false, "The server KEXINIT's kex_algorithms name-list.", func(r *Row) string { return r.ServerKexAlgs }),
		str("client_host_key_algorithms", false, "The client KEXINIT's server_host_key_algorithms name-list (HASSH's cshka).", func(r *Row) string { return r.ClientHostKeyAlgs }),
		str("server_host_key_algorithms", false, "The server KEXINIT's server_host_key_algorithms name-list (HASSH's sshka).", func(r *Row) string { return r.ServerHostKeyAlgs }),
		{Name: "client_kexinit_frame", Type: schema.Int64, Doc: "Frame number of the client's KEXINIT (the frame that completed its packet).", Int: func(r *Row) (int64, bool) { return r.ClientKexInitFrame, r.ClientKexInitFrame > 0 }},
		{Name: "server_kexinit_frame", Type: schema.Int64, Doc: "Frame number of the server's KEXINIT.", Int: func(r *Row) (int64, bool) { return r.ServerKexInitFrame, r.ServerKexInitFrame > 0 }},
		str("note", false, "Problems met while parsing (malformed or oversized lines and packets, gaps, no common algorithm), joined by \"; \".", func(r *Row) string { return r.Note }),
	},
}

func init() {
	if err := Table.Validate(); err != nil {
		panic(err) // a programming error in the table above
	}
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func str(name string, def bool, doc string, get func(*Row) string) schema.Column[Row] {
	return schema.Column[Row]{Name: name, Type: schema.String, Doc: doc, Default: def, Append: func(r *Row, b []byte) ([]byte, bool) {
		s := get(r)
		return append(b, s...), s != ""
	}}
}
