package files

import (
	"net/netip"

	"github.com/pcapframe/pcapframe/schema"
)

// Row is one row of the files table: one object a protocol carried. The *Row given to emit is reused after
// emit returns; its strings are immutable, so a copy of the value may be kept.
type Row struct {
	TS               int64 // of the packet that delivered the object's first byte (of its message when empty)
	FUID             string
	UID, CommunityID string
	OrigH, RespH     netip.Addr
	OrigP, RespP     uint16
	FromOrig         bool   // the originator sent the object
	Source           string // HTTP, SMTP, FTP_DATA, IRC_DATA (Zeek's names)
	Depth            int64  // message or transfer number in the flow (HTTP trans_depth)
	Part             int64  // MIME part number, 0 for a whole body
	Filename         string // escaped; "" when the protocol gives none
	DeclaredType     string // Content-Type as the protocol declared it (lower case), "" when none
	MIMEType         string // detected from the content; "" for an empty object
	SeenBytes        int64
	TotalBytes       int64 // announced size, -1 when unknown
	MissingBytes     int64
	Complete         bool
	MD5, SHA1        string // lower-case hex, of the bytes seen
	SHA256           string
	Entropy          float64 // Shannon entropy of the bytes seen, bits per byte
	FirstFrame       int64
	LastFrame        int64
	Note             string
}

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

// strCol is a string column, null when empty unless always.
func strCol(name string, def, always bool, doc string, get func(*Row, []byte) []byte) schema.Column[Row] {
	return schema.Column[Row]{Name: name, Type: schema.String, Doc: doc, Default: def, Append: func(r *Row, b []byte) ([]byte, bool) {
		n := len(b)
		b = get(r, b)
		return b, always || len(b) > n
	}}
}

func direction(r *Row) string {
	if r.FromOrig {
		return "orig"
	}
	return "resp"
}

// Table is the files table.
var Table = &schema.Table[Row]{
	Name: "files",
	Doc: "One row per object carried by HTTP (each body, each part of a multipart/form-data body; both directions), " +
		"SMTP (each MIME entity of each message), FTP data connections and IRC DCC SEND transfers: Zeek's files.log " +
		"columns where they apply, the flow, hashes, entropy, the MIME type detected from the content, and frames.",
	Columns: []schema.Column[Row]{
		intCol("ts", schema.Timestamp, true, "Time of the packet that delivered the object's first byte (of the message that announced it, for an empty object).", nil, func(r *Row) int64 { return r.TS }),
		strCol("fuid", true, true, "File id: \"F\" and base62 digits of a hash of uid, direction, depth and part (deterministic; joins http.orig_fuids/resp_fuids).", func(r *Row, b []byte) []byte { return append(b, r.FUID...) }),
		strCol("uid", true, true, "Unique id of the flow that carried the object (joins flows.uid).", func(r *Row, b []byte) []byte { return append(b, r.UID...) }),
		strCol("community_id", false, false, "Community ID v1 of the flow (joins flows.community_id).", func(r *Row, b []byte) []byte { return append(b, r.CommunityID...) }),
		strCol("orig_h", true, true, "Flow originator's address.", func(r *Row, b []byte) []byte { return r.OrigH.AppendTo(b) }),
		intCol("orig_p", schema.Int32, true, "Flow originator's port.", nil, func(r *Row) int64 { return int64(r.OrigP) }),
		strCol("resp_h", true, true, "Flow responder's address.", func(r *Row, b []byte) []byte { return r.RespH.AppendTo(b) }),
		intCol("resp_p", schema.Int32, true, "Flow responder's port.", nil, func(r *Row) int64 { return int64(r.RespP) }),
		strCol("direction", true, true, "Which side of the flow sent the object: orig (the originator: an HTTP request body, an SMTP message, an FTP STOR) or resp (the responder: an HTTP response body, an FTP RETR over a passive data connection).", func(r *Row, b []byte) []byte { return append(b, direction(r)...) }),
		strCol("source", true, true, "Protocol that carried the object, Zeek's names: HTTP, SMTP, FTP_DATA, IRC_DATA.", func(r *Row, b []byte) []byte { return append(b, r.Source...) }),
		intCol("depth", schema.Int32, true, "Position of the carrying message in its flow: HTTP trans_depth, SMTP message number, FTP transfer number on the control connection, 1 for IRC DCC.", nil, func(r *Row) int64 { return r.Depth }),
		intCol("part", schema.Int32, false, "MIME part number of the object in its message (from 1), 0 for a whole body.", nil, func(r *Row) int64 { return r.Part }),
		strCol("filename", true, false, "File name the protocol gave (Content-Disposition filename or Content-Type name, the FTP RETR/STOR argument, the DCC SEND name), the capture's bytes with unsafe characters written \\xHH; null when none.", func(r *Row, b []byte) []byte { return append(b, r.Filename...) }),
		strCol("declared_type", false, false, "Media type the protocol declared (Content-Type, lower case, without parameters); null when none.", func(r *Row, b []byte) []byte { return append(b, r.DeclaredType...) }),
		strCol("mime_type", true, false, "MIME type detected from the first 3,072 bytes by github.com/gabriel-vasile/mimetype (application/octet-stream when unknown); null for an empty object.", func(r *Row, b []byte) []byte { return append(b, r.MIMEType...) }),
		intCol("seen_bytes", schema.Int64, true, "Bytes of the object seen (after transfer and content codings are removed).", nil, func(r *Row) int64 { return r.SeenBytes }),
		intCol("total_bytes", schema.Int64, true, "Size the protocol announced (HTTP Content-Length of an unencoded whole body, the DCC SEND size, the FTP 150 reply's \"(N bytes)\"); null when none.", func(r *Row) bool { return r.TotalBytes >= 0 }, func(r *Row) int64 { return r.TotalBytes }),
		intCol("missing_bytes", schema.Int64, true, "Bytes of the object the capture lacks (gaps in the stream), counted on the carrying stream's bytes.", nil, func(r *Row) int64 { return r.MissingBytes }),
		intCol("complete", schema.Bool, true, "The object was seen whole: its message ended as framed, no gap, no cap reached, and total_bytes (when announced) matched.", nil, func(r *Row) int64 { return b2i(r.Complete) }),
		strCol("md5", true, false, "MD5 of the bytes seen, lower-case hex.", func(r *Row, b []byte) []byte { return append(b, r.MD5...) }),
		strCol("sha1", true, false, "SHA-1 of the bytes seen, lower-case hex.", func(r *Row, b []byte) []byte { return append(b, r.SHA1...) }),
		strCol("sha256", true, false, "SHA-256 of the bytes seen, lower-case hex (pcapframe extract writes exactly these bytes).", func(r *Row, b []byte) []byte { return append(b, r.SHA256...) }),
		{Name: "entropy", Type: schema.Float64, Default: true, Doc: "Shannon entropy of the bytes seen, bits per byte (0 to 8; near 8 for compressed or encrypted data); null for an empty object.",
			Float: func(r *Row) (float64, bool) { return r.Entropy, r.SeenBytes > 0 }},
		intCol("first_frame", schema.Int64, false, "Frame of the packet that delivered the object's first byte.", func(r *Row) bool { return r.FirstFrame > 0 }, func(r *Row) int64 { return r.FirstFrame }),
		intCol("last_frame", schema.Int64, false, "Frame of the packet that delivered the object's last byte.", func(r *Row) bool { return r.LastFrame > 0 }, func(r *Row) int64 { return r.LastFrame }),
		strCol("note", false, false, "What went wrong: gaps, caps reached (decoded size, parts, nesting), decoding errors; null when nothing.", func(r *Row, b []byte) []byte { return append(b, r.Note...) }),
	},
}

func init() {
	if err := Table.Validate(); err != nil {
		panic(err)
	}
}
