package tls

import (
	"net/netip"
	"strings"

	"github.com/pcapframe/pcapframe/schema"
)

// Row is one row of the tls table: one TLS handshake over TCP, or one QUIC connection's handshake as its
// Initial packets show it. Strings that are empty and lists that are nil are null in the table.
type Row struct {
	TS                      int64 // the flow's first packet, as Zeek's ssl.log ts
	UID, CommunityID        string
	OrigH, RespH            netip.Addr
	OrigP, RespP            uint16
	Proto                   string // "tcp" or "quic"
	Version                 string // negotiated version, Zeek's names (TLSv12, TLSv13, ...)
	ClientMaxVersion        string // highest version the client offers (supported_versions honoured)
	ClientVersion           int64  // the ClientHello's legacy_version (0: no ClientHello)
	ServerVersion           int64  // the ServerHello's legacy_version (0: no ServerHello)
	Cipher                  string
	CipherID                int64 // -1: no ServerHello
	ClientCiphers           []int64
	Curve                   string
	ClientCurves            []int64
	ClientSupportedVersions []int64
	ServerSupportedVersion  int64
	PointFormats            []int64
	ServerName              string
	OrigALPN                []string
	NextProtocol            string
	Sigalgs                 []int64
	ClientExts              []int64
	ServerExts              []int64
	HasClientHello          bool
	HasServerHello          bool
	Resumed                 bool
	Established             bool
	LastAlert               string
	Subject, Issuer         string
	CertSAN                 []string
	CertSerial              string
	CertNotBefore           int64
	CertNotAfter            int64
	CertSHA256              string
	CertChainFPs            []string
	HasCert                 bool // a leaf certificate was seen
	CertParsed              bool // and it parsed as X.509
	CertSelfSigned          bool
	SNIMatchesCert          bool
	HasSNIMatch             bool
	JA3, JA3String          string
	JA3S, JA3SString        string
	JA4, JA4R               string
	ClientHelloFrame        int64 // 0: none
	ServerHelloFrame        int64
	Note                    string
}

// fill sets a.row from the connection's state.
func (a *Analyzer) fill(c *conn) {
	r := &a.row
	*r = Row{TS: c.start, UID: c.uid, CommunityID: c.communityID, OrigH: c.orig.Addr(), OrigP: c.orig.Port(),
		RespH: c.resp.Addr(), RespP: c.resp.Port(), Proto: "tcp", CipherID: -1, Resumed: c.resumed, Established: c.established}
	if c.isQUIC {
		r.Proto = "quic"
	}
	if ch := c.ch; ch != nil {
		r.HasClientHello = true
		r.ClientHelloFrame = c.chFrame
		r.ClientVersion = int64(ch.legacyVersion)
		r.ClientMaxVersion = versionName(ch.maxVersion())
		r.ClientCiphers = ints(ch.ciphers)
		r.ClientCurves = ints(ch.groups)
		r.ClientSupportedVersions = ints(ch.versions)
		if ch.pointFormats != nil {
			r.PointFormats = make([]int64, len(ch.pointFormats))
			for i, v := range ch.pointFormats {
				r.PointFormats[i] = int64(v)
			}
		}
		r.ServerName = ch.serverName
		r.OrigALPN = ch.alpn
		if r.OrigALPN == nil && ch.hasALPN {
			r.OrigALPN = []string{}
		}
		r.Sigalgs = ints(ch.sigAlgs)
		r.ClientExts = ints(ch.extensions)
		if !ch.sslv2 {
			r.JA3String = ja3String(ch)
			r.JA3 = md5Hex(r.JA3String)
			r.JA4, r.JA4R = ja4(ch, c.isQUIC)
		}
	}
	if sh := c.sh; sh != nil {
		r.HasServerHello = true
		r.ServerHelloFrame = c.shFrame
		r.ServerVersion = int64(sh.legacyVersion)
		r.Version = versionName(sh.version)
		r.Cipher = cipherName(sh.cipher)
		r.CipherID = int64(sh.cipher)
		r.NextProtocol = sh.alpn
		r.ServerExts = ints(sh.extensions)
		if sh.version != sh.legacyVersion || sh.hasSupportedVersions {
			r.ServerSupportedVersion = int64(sh.version)
		}
		if r.ServerExts == nil {
			r.ServerExts = []int64{}
		}
		r.JA3SString = ja3sString(sh)
		r.JA3S = md5Hex(r.JA3SString)
		switch {
		case sh.hasKeyShare:
			r.Curve = groupName(sh.keyShareGroup)
		case c.hasSKECurve:
			r.Curve = groupName(c.curve)
		}
	}
	if c.lastAlert >= 0 {
		r.LastAlert = alertName(c.lastAlert)
	}
	if ci := c.cert; ci != nil {
		r.HasCert, r.CertParsed = true, ci.parsed
		r.Subject, r.Issuer, r.CertSAN, r.CertSerial = ci.subject, ci.issuer, ci.san, ci.serial
		if ci.parsed && r.CertSAN == nil {
			r.CertSAN = []string{}
		}
		r.CertNotBefore, r.CertNotAfter, r.CertSHA256 = ci.notBefore, ci.notAfter, ci.sha256
		r.CertSelfSigned = ci.selfSigned
		r.SNIMatchesCert, r.HasSNIMatch = ci.sniMatches, ci.hasSNIMatch
	}
	r.CertChainFPs = c.chainFPs
	r.Note = strings.Join(c.notes, "; ")
}

func ints(vs []uint16) []int64 {
	if vs == nil {
		return nil
	}
	out := make([]int64, len(vs))
	for i, v := range vs {
		out[i] = int64(v)
	}
	return out
}

// Table is the tls table: one row per TLS handshake over TCP or QUIC connection, with Zeek's ssl.log column names
// where Zeek has them.
var Table = &schema.Table[Row]{
	Name: "tls",
	Doc: "One row per TLS handshake over TCP or QUIC handshake (Initial packets decrypted), in the order the flows " +
		"ended; columns follow Zeek's ssl.log, plus the ClientHello and ServerHello fields, the leaf certificate " +
		"(visible up to TLS 1.2) and the JA3, JA3S and JA4 fingerprints.",
	Columns: []schema.Column[Row]{
		{Name: "ts", Type: schema.Timestamp, Default: true, Doc: "Time of the flow's first packet (UTC, nanoseconds), as Zeek's ssl.log.", Int: func(r *Row) (int64, bool) { return r.TS, true }},
		str("uid", "The flows table's uid of the connection.", func(r *Row) string { return r.UID }),
		str("community_id", "Community ID v1 of the flow, as in the flows table.", func(r *Row) string { return r.CommunityID }),
		{Name: "orig_h", Type: schema.String, Default: true, Doc: "Client address (the flow's originator).", Append: func(r *Row, b []byte) ([]byte, bool) { return r.OrigH.AppendTo(b), r.OrigH.IsValid() }},
		{Name: "orig_p", Type: schema.Int32, Default: true, Doc: "Client port.", Int: func(r *Row) (int64, bool) { return int64(r.OrigP), true }},
		{Name: "resp_h", Type: schema.String, Default: true, Doc: "Server address (the flow's responder).", Append: func(r *Row, b []byte) ([]byte, bool) { return r.RespH.AppendTo(b), r.RespH.IsValid() }},
		{Name: "resp_p", Type: schema.Int32, Default: true, Doc: "Server port.", Int: func(r *Row) (int64, bool) { return int64(r.RespP), true }},
		str("proto", "tcp for TLS over TCP, quic for QUIC.", func(r *Row) string { return r.Proto }),
		str("version", "Negotiated version (the ServerHello's supported_versions, else its version), as Zeek names it: SSLv3, TLSv10, TLSv11, TLSv12, TLSv13, ...; null without a ServerHello.", func(r *Row) string { return r.Version }),
		str("client_max_version", "Highest version the client offers: the highest of its supported_versions extension (GREASE ignored), else the ClientHello's version.", func(r *Row) string { return r.ClientMaxVersion }),
		{Name: "client_version", Type: schema.Int32, Doc: "The ClientHello's legacy_version field (0x0303 = 771 for TLS 1.2 and 1.3), as Zeek's ssl-log-ext client_version and Wireshark's tls.handshake.version.", Int: func(r *Row) (int64, bool) { return r.ClientVersion, r.HasClientHello }},
		{Name: "server_version", Type: schema.Int32, Doc: "The ServerHello's legacy_version field (Zeek's ssl-log-ext server_version).", Int: func(r *Row) (int64, bool) { return r.ServerVersion, r.HasServerHello }},
		str("cipher", "Cipher suite the server chose, by its IANA name (0xXXXX when unknown).", func(r *Row) string { return r.Cipher }),
		{Name: "cipher_id", Type: schema.Int32, Doc: "Cipher suite the server chose, as a number.", Int: func(r *Row) (int64, bool) { return r.CipherID, r.CipherID >= 0 }},
		ints64("client_ciphers", "Cipher suites the client offers, in its order, GREASE values included.", func(r *Row) []int64 { return r.ClientCiphers }),
		str("curve", "Key exchange group: the ServerHello's key_share (TLS 1.3) or the ServerKeyExchange's named curve (ECDHE up to TLS 1.2), by name.", func(r *Row) string { return r.Curve }),
		ints64("client_curves", "Groups of the client's supported_groups extension, in its order.", func(r *Row) []int64 { return r.ClientCurves }),
		ints64("client_supported_versions", "Versions of the client's supported_versions extension, in its order, GREASE included; null without the extension.", func(r *Row) []int64 { return r.ClientSupportedVersions }),
		{Name: "server_supported_version", Type: schema.Int32, Doc: "Version of the ServerHello's supported_versions extension (772 = TLS 1.3); null without it.", Int: func(r *Row) (int64, bool) { return r.ServerSupportedVersion, r.ServerSupportedVersion > 0 }},
		ints64("point_formats", "EC point formats the client offers.", func(r *Row) []int64 { return r.PointFormats }),
		str("server_name", "Server name the client asks for (SNI), exactly as sent.", func(r *Row) string { return r.ServerName }),
		strs("orig_alpn", "Application protocols the client offers (ALPN), in its order (Zeek's ssl-log-ext orig_alpn).", func(r *Row) []string { return r.OrigALPN }),
		str("next_protocol", "Application protocol the server chose (ALPN; in TLS 1.3 and QUIC it is encrypted, so null).", func(r *Row) string { return r.NextProtocol }),
		ints64("sigalgs", "Signature algorithms the client offers (signature_algorithms extension), in its order.", func(r *Row) []int64 { return r.Sigalgs }),
		ints64("ssl_client_exts", "Extension types of the ClientHello, in its order, GREASE included.", func(r *Row) []int64 { return r.ClientExts }),
		ints64("ssl_server_exts", "Extension types of the ServerHello, in its order.", func(r *Row) []int64 { return r.ServerExts }),
		{Name: "resumed", Type: schema.Bool, Default: true, Doc: "The session was resumed: the server echoed the client's session id or answered its ticket with an abbreviated handshake (TLS <= 1.2), or accepted a pre-shared key (TLS 1.3).", Int: func(r *Row) (int64, bool) { return b2i(r.Resumed), true }},
		{Name: "established", Type: schema.Bool, Default: true, Doc: "The handshake completed: TLS <= 1.2, each side sent ChangeCipherSpec then its (encrypted) Finished; TLS 1.3, the server sent encrypted records after its ServerHello and the client answered with one; QUIC, both sides sent 1-RTT (short header) packets.", Int: func(r *Row) (int64, bool) { return b2i(r.Established), true }},
		str("last_alert", "Description of the last clear-text alert (handshake_failure, ...; QUIC: a TLS alert in a CONNECTION_CLOSE of an Initial packet).", func(r *Row) string { return r.LastAlert }),
		str("subject", "Subject of the server's leaf certificate (RFC 2253 form; visible up to TLS 1.2).", func(r *Row) string { return r.Subject }),
		str("issuer", "Issuer of the server's leaf certificate.", func(r *Row) string { return r.Issuer }),
		strs("cert_san", "DNS names and IP addresses of the leaf certificate's subjectAltName.", func(r *Row) []string { return r.CertSAN }),
		str("cert_serial", "Serial number of the leaf certificate (upper-case hex).", func(r *Row) string { return r.CertSerial }),
		{Name: "cert_not_before", Type: schema.Timestamp, Doc: "Start of the leaf certificate's validity.", Int: func(r *Row) (int64, bool) { return r.CertNotBefore, r.CertParsed }},
		{Name: "cert_not_after", Type: schema.Timestamp, Doc: "End of the leaf certificate's validity.", Int: func(r *Row) (int64, bool) { return r.CertNotAfter, r.CertParsed }},
		str("cert_sha256", "SHA-256 fingerprint of the leaf certificate's DER bytes (lower-case hex).", func(r *Row) string { return r.CertSHA256 }),
		{Name: "cert_self_signed", Type: schema.Bool, Doc: "The leaf certificate is self-signed: its issuer is its subject and its signature verifies with its own key.", Int: func(r *Row) (int64, bool) { return b2i(r.CertSelfSigned), r.CertParsed }},
		strsOpt("cert_chain_fps", "SHA-256 fingerprints of the server's certificates, leaf first, as Zeek's cert_chain_fps.", func(r *Row) []string { return r.CertChainFPs }),
		{Name: "sni_matches_cert", Type: schema.Bool, Doc: "The server name is one the leaf certificate is valid for.", Int: func(r *Row) (int64, bool) { return b2i(r.SNIMatchesCert), r.HasSNIMatch }},
		str("ja3", "JA3 fingerprint of the ClientHello: MD5 of ja3_string.", func(r *Row) string { return r.JA3 }),
		strOpt("ja3_string", "JA3 text: version,ciphers,extensions,groups,point formats in decimal, GREASE left out.", func(r *Row) string { return r.JA3String }),
		str("ja3s", "JA3S fingerprint of the ServerHello: MD5 of ja3s_string.", func(r *Row) string { return r.JA3S }),
		strOpt("ja3s_string", "JA3S text: version,cipher,extensions in decimal.", func(r *Row) string { return r.JA3SString }),
		str("ja4", "JA4 fingerprint of the ClientHello (FoxIO's JA4.md; t for TCP, q for QUIC).", func(r *Row) string { return r.JA4 }),
		strOpt("ja4_r", "JA4 raw form: the sorted cipher and extension lists and the signature algorithms the hashes are made of.", func(r *Row) string { return r.JA4R }),
		{Name: "client_hello_frame", Type: schema.Int64, Doc: "Frame number of the ClientHello, as Wireshark shows it: the frame that completes the record holding its end (QUIC: the packet with its last CRYPTO bytes).", Int: func(r *Row) (int64, bool) { return r.ClientHelloFrame, r.ClientHelloFrame > 0 }},
		{Name: "server_hello_frame", Type: schema.Int64, Doc: "Frame number of the ServerHello, as Wireshark shows it.", Int: func(r *Row) (int64, bool) { return r.ServerHelloFrame, r.ServerHelloFrame > 0 }},
		str("note", "Problems met while parsing (malformed records or extensions, gaps, caps reached, undecryptable QUIC packets), joined by \"; \".", func(r *Row) string { return r.Note }),
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

func str(name, doc string, get func(*Row) string) schema.Column[Row] {
	return schema.Column[Row]{Name: name, Type: schema.String, Doc: doc, Default: true, Append: func(r *Row, b []byte) ([]byte, bool) {
		s := get(r)
		return append(b, s...), s != ""
	}}
}

func strOpt(name, doc string, get func(*Row) string) schema.Column[Row] {
	c := str(name, doc, get)
	c.Default = false
	return c
}

func ints64(name, doc string, get func(*Row) []int64) schema.Column[Row] {
	return schema.Column[Row]{Name: name, Type: schema.Int64List, Doc: doc, Ints: func(r *Row) ([]int64, bool) {
		v := get(r)
		return v, v != nil
	}}
}

func strs(name, doc string, get func(*Row) []string) schema.Column[Row] {
	return schema.Column[Row]{Name: name, Type: schema.StringList, Doc: doc, Default: true, Strings: func(r *Row) ([]string, bool) {
		v := get(r)
		return v, v != nil
	}}
}

func strsOpt(name, doc string, get func(*Row) []string) schema.Column[Row] {
	c := strs(name, doc, get)
	c.Default = false
	return c
}
