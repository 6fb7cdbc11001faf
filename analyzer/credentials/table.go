package credentials

import (
	"net/netip"

	"github.com/pcapframe/pcapframe/schema"
)

// Row is one credential seen in clear. The emit function of New gets a *Row that is reused once emit returns;
// the values it refers to are never written again, so emit may keep a copy of the Row value.
type Row struct {
	TS               int64 // time of the packet that completed the credential
	UID, CommunityID string
	OrigH, RespH     netip.Addr
	OrigP, RespP     uint16

	Protocol, Mechanism string
	Username            string
	HasUsername         bool
	Password            string
	HasPassword         bool
	SecretType          string // cleartext, or what the password column holds instead
	Domain, ClientHost  string // NTLM's domain and workstation
	HasAccepted         bool
	Accepted            bool
	Reply               string // the server's reply that decided accepted
	Frames              []int64
	Note                string
}

// sensitive is said of every column that holds a secret.
const sensitive = "SENSITIVE: a secret as it crossed the wire; handle the output as a credential store. "

// Table is the credentials table.
var Table = &schema.Table[Row]{
	Name: "credentials",
	Doc: "SENSITIVE, one row per credential seen in clear text (HTTP Basic, Digest and NTLM, FTP, SMTP AUTH, POP3, " +
		"IMAP, IRC, Telnet, NTLMSSP in SMB): the user, the password or what stands for it (a digest, a challenge " +
		"response), and whether the server accepted it. Passwords are written as sent: treat the output as secret.",
	Columns: []schema.Column[Row]{
		{Name: "ts", Type: schema.Timestamp, Default: true, Doc: "Time of the packet that completed the credential (UTC, nanoseconds).", Int: func(r *Row) (int64, bool) { return r.TS, true }},
		str("uid", true, "The flows table's uid of the connection.", func(r *Row) (string, bool) { return r.UID, true }),
		str("community_id", false, "Community ID v1 of the flow, as in the flows table.", func(r *Row) (string, bool) { return r.CommunityID, true }),
		{Name: "orig_h", Type: schema.String, Default: true, Doc: "Client address (the flow's originator).", Append: func(r *Row, b []byte) ([]byte, bool) { return r.OrigH.AppendTo(b), r.OrigH.IsValid() }},
		{Name: "orig_p", Type: schema.Int32, Default: true, Doc: "Client port.", Int: func(r *Row) (int64, bool) { return int64(r.OrigP), true }},
		{Name: "resp_h", Type: schema.String, Default: true, Doc: "Server address (the flow's responder).", Append: func(r *Row, b []byte) ([]byte, bool) { return r.RespH.AppendTo(b), r.RespH.IsValid() }},
		{Name: "resp_p", Type: schema.Int32, Default: true, Doc: "Server port.", Int: func(r *Row) (int64, bool) { return int64(r.RespP), true }},
		str("protocol", true, "Protocol that carried the credential: http, ftp, smtp, pop3, imap, irc, telnet or smb.", func(r *Row) (string, bool) { return r.Protocol, true }),
		str("mechanism", true, "How it was sent: Basic, Digest, NTLM (http); USER/PASS (ftp, pop3); APOP; AUTH PLAIN, AUTH LOGIN, AUTH CRAM-MD5 (smtp, pop3, imap AUTHENTICATE); LOGIN (imap); PASS (irc); login prompt (telnet); NTLMSSP (smb).", func(r *Row) (string, bool) { return r.Mechanism, true }),
		str("username", true, sensitive+"User name as sent (decoded from base64 or UTF-16 where the protocol encodes it); IRC: the nickname.", func(r *Row) (string, bool) { return r.Username, r.HasUsername }),
		str("password", true, sensitive+"Password as sent, decoded, when secret_type is cleartext; otherwise what was seen instead (see secret_type); null when none was sent.", func(r *Row) (string, bool) { return r.Password, r.HasPassword }),
		str("secret_type", true, "What password holds: cleartext; apop-md5 (the APOP digest); cram-md5 (the CRAM-MD5 digest); http-digest (the Digest parameters, response included); netntlmv2 or netntlmv1 (hashcat's NetNTLM format, with the server challenge); ntlm-response (hex, challenge not seen); none.", func(r *Row) (string, bool) { return r.SecretType, r.SecretType != "" }),
		str("domain", false, "NTLM: the domain of the AUTHENTICATE message.", func(r *Row) (string, bool) { return r.Domain, r.Domain != "" }),
		str("client_host", false, "NTLM: the workstation name of the AUTHENTICATE message.", func(r *Row) (string, bool) { return r.ClientHost, r.ClientHost != "" }),
		{Name: "accepted", Type: schema.Bool, Default: true, Doc: "Whether the server accepted it, from its reply: FTP 230, SMTP 235, POP3 +OK, IMAP OK, IRC 001, HTTP below 400, SMB status 0 are true; FTP 530, SMTP 535, -ERR, NO, BAD, IRC 464, HTTP 401/403/407, SMB logon failure are false; Telnet by the heuristic of the package documentation; null when no deciding reply was seen.", Int: func(r *Row) (int64, bool) { return b2i(r.Accepted), r.HasAccepted }},
		str("reply", true, "The server's reply that decided accepted (its first line, at most 256 bytes), as sent.", func(r *Row) (string, bool) { return r.Reply, r.Reply != "" }),
		{Name: "frames", Type: schema.Int64List, Doc: "Frame numbers of the packets that completed the lines or messages of the credential (user, then password; one frame when both came in one).", Ints: func(r *Row) ([]int64, bool) { return r.Frames, true }},
		str("note", false, "Problems met (bad base64, damaged NTLM messages, over-long lines cut, gaps), joined by \"; \".", func(r *Row) (string, bool) { return r.Note, r.Note != "" }),
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

func str(name string, def bool, doc string, get func(*Row) (string, bool)) schema.Column[Row] {
	return schema.Column[Row]{Name: name, Type: schema.String, Doc: doc, Default: def, Append: func(r *Row, b []byte) ([]byte, bool) {
		s, ok := get(r)
		return append(b, s...), ok
	}}
}
