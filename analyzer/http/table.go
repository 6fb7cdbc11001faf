package http

import (
	"net/netip"

	"github.com/pcapframe/pcapframe/schema"
)

// Row is one row of the http table: a request and its response (either may be missing). Texts hold the bytes
// of the capture with unsafe characters escaped (see the package documentation); nil lists and empty strings
// of optional fields are null. The *Row given to emit is reused after emit returns; its strings and lists are
// not shared, so a copy of the value may be kept.
type Row struct {
	TS               int64 // of the request's first byte, else of the response's
	UID, CommunityID string
	OrigH, RespH     netip.Addr
	OrigP, RespP     uint16
	TransDepth       int64

	HasRequest, HasResponse bool
	Method, Host, URI       string
	Referrer, Version       string
	UserAgent, Origin       string
	RequestBodyLen          int64
	ResponseBodyLen         int64
	StatusCode              int64
	StatusMsg               string
	InfoCode                int64
	InfoMsg                 string
	Tags                    []string
	Username, Password      string
	Proxied                 []string

	OrigFUIDs, OrigFilenames, OrigMIMETypes []string
	RespFUIDs, RespFilenames, RespMIMETypes []string

	RequestHeaderNames, RequestHeaderValues   []string
	ResponseHeaderNames, ResponseHeaderValues []string
	RequestContentLength                      int64 // -1: none
	ResponseContentLength                     int64 // -1: none
	RequestFrame, ResponseFrame               int64 // 0: not seen
	Note                                      string
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

// strCol is a string column, null when the text is empty.
func strCol(name string, def bool, doc string, get func(*Row) string) schema.Column[Row] {
	return schema.Column[Row]{Name: name, Type: schema.String, Doc: doc, Default: def, Append: func(r *Row, b []byte) ([]byte, bool) {
		s := get(r)
		return append(b, s...), s != ""
	}}
}

func listCol(name string, def bool, doc string, get func(*Row) []string) schema.Column[Row] {
	return schema.Column[Row]{Name: name, Type: schema.StringList, Doc: doc, Default: def, Strings: func(r *Row) ([]string, bool) {
		l := get(r)
		return l, l != nil
	}}
}

func hasReq(r *Row) bool  { return r.HasRequest }
func hasResp(r *Row) bool { return r.HasResponse }

// Table is the http table: one row per HTTP/1.x request/response pair, Zeek's http.log columns and more.
var Table = &schema.Table[Row]{
	Name: "http",
	Doc: "One row per HTTP/1.x request and its response over reassembled TCP (pipelining, keep-alive, 100 Continue, " +
		"chunked bodies; a request without a response and a response without a request get rows of their own); " +
		"columns follow Zeek's http.log, plus every header in order, frames and notes. Texts are the capture's bytes " +
		"with unsafe characters written \\xHH.",
	Columns: []schema.Column[Row]{
		intCol("ts", schema.Timestamp, true, "Time of the packet that delivered the request's first byte (of the response's, without a request).", nil, func(r *Row) int64 { return r.TS }),
		{Name: "uid", Type: schema.String, Default: true, Doc: "Unique id of the flow (joins flows.uid).", Append: func(r *Row, b []byte) ([]byte, bool) { return append(b, r.UID...), true }},
		{Name: "orig_h", Type: schema.String, Default: true, Doc: "Flow originator's address.", Append: func(r *Row, b []byte) ([]byte, bool) { return r.OrigH.AppendTo(b), true }},
		intCol("orig_p", schema.Int32, true, "Flow originator's port.", nil, func(r *Row) int64 { return int64(r.OrigP) }),
		{Name: "resp_h", Type: schema.String, Default: true, Doc: "Flow responder's address.", Append: func(r *Row, b []byte) ([]byte, bool) { return r.RespH.AppendTo(b), true }},
		intCol("resp_p", schema.Int32, true, "Flow responder's port.", nil, func(r *Row) int64 { return int64(r.RespP) }),
		intCol("trans_depth", schema.Int32, true, "Position of the transaction in its connection, from 1 (a response without a request takes the next number).", nil, func(r *Row) int64 { return r.TransDepth }),
		strCol("method", true, "Request method as sent (GET, POST, ...); null without a request.", func(r *Row) string { return r.Method }),
		strCol("host", true, "Value of the request's Host header.", func(r *Row) string { return r.Host }),
		strCol("uri", true, "Request-target as sent (not percent-decoded, unlike Zeek's uri).", func(r *Row) string { return r.URI }),
		strCol("referrer", true, "Value of the request's Referer header.", func(r *Row) string { return r.Referrer }),
		strCol("version", true, "HTTP version of the response (\"1.1\", \"1.0\"), else of the request.", func(r *Row) string { return r.Version }),
		strCol("user_agent", true, "Value of the request's User-Agent header.", func(r *Row) string { return r.UserAgent }),
		strCol("origin", true, "Value of the request's Origin header.", func(r *Row) string { return r.Origin }),
		intCol("request_body_len", schema.Int64, true, "Bytes of the request body seen, after its content coding is removed (as Zeek's: uncompressed), transfer coding removed; the body's own bytes when it could not be decoded.", nil, func(r *Row) int64 { return r.RequestBodyLen }),
		intCol("response_body_len", schema.Int64, true, "Bytes of the response body seen, after its content coding is removed (as request_body_len).", nil, func(r *Row) int64 { return r.ResponseBodyLen }),
		intCol("status_code", schema.Int32, true, "Status code of the final response; null without a response (and for the status-less answer to an HTTP/0.9 request).", func(r *Row) bool { return r.HasResponse && r.StatusCode != 0 }, func(r *Row) int64 { return r.StatusCode }),
		strCol("status_msg", true, "Reason phrase of the final response.", func(r *Row) string { return r.StatusMsg }),
		intCol("info_code", schema.Int32, true, "Status code of the last interim (1xx) response, such as 100 Continue; null without one.", func(r *Row) bool { return r.InfoCode != 0 }, func(r *Row) int64 { return r.InfoCode }),
		strCol("info_msg", true, "Reason phrase of the last interim (1xx) response.", func(r *Row) string { return r.InfoMsg }),
		listCol("tags", true, "Zeek's tags, always empty (an empty list), as Zeek's base scripts leave them (their HTTP::Tags has only a placeholder); Zeek adds URI_SQLI when policy/protocols/http/detect-sqli.zeek is loaded (the stock site/local.zeek loads it), a detection pcapframe does not make.", func(r *Row) []string { return r.Tags }),
		strCol("username", true, "User name of a Basic Authorization header (base64-decoded). Sensitive: a credential seen in clear.", func(r *Row) string { return r.Username }),
		strCol("password", true, "Password of a Basic Authorization header (base64-decoded). Sensitive: a credential seen in clear (Zeek logs it only when asked to).", func(r *Row) string { return r.Password }),
		listCol("proxied", true, "Request headers that show a proxy (Forwarded, X-Forwarded-For, X-Forwarded-From, Client-IP, Via, XRoxy-Connection, Proxy-Connection) as \"NAME -> value\", Zeek's form; null without one.", func(r *Row) []string { return r.Proxied }),
		listCol("orig_fuids", true, "fuid of each object of the request body (files.fuid): the whole body, or each part of a multipart/form-data body.", func(r *Row) []string { return r.OrigFUIDs }),
		listCol("orig_filenames", true, "Filenames given by Content-Disposition for the request's objects (those that have one).", func(r *Row) []string { return r.OrigFilenames }),
		listCol("orig_mime_types", true, "MIME types of the request's objects, detected from their content.", func(r *Row) []string { return r.OrigMIMETypes }),
		listCol("resp_fuids", true, "fuid of each object of the response body (files.fuid).", func(r *Row) []string { return r.RespFUIDs }),
		listCol("resp_filenames", true, "Filenames given by Content-Disposition for the response's objects.", func(r *Row) []string { return r.RespFilenames }),
		listCol("resp_mime_types", true, "MIME types of the response's objects, detected from their content.", func(r *Row) []string { return r.RespMIMETypes }),
		strCol("community_id", false, "Community ID v1 of the flow (joins flows.community_id).", func(r *Row) string { return r.CommunityID }),
		listCol("request_header_names", false, "Names of the request's header fields, in the order sent (at most 256); the values are in request_header_values at the same index.", func(r *Row) []string { return r.RequestHeaderNames }),
		listCol("request_header_values", false, "Values of the request's header fields, parallel to request_header_names.", func(r *Row) []string { return r.RequestHeaderValues }),
		listCol("response_header_names", false, "Names of the final response's header fields, in the order sent (at most 256).", func(r *Row) []string { return r.ResponseHeaderNames }),
		listCol("response_header_values", false, "Values of the final response's header fields, parallel to response_header_names.", func(r *Row) []string { return r.ResponseHeaderValues }),
		intCol("request_content_length", schema.Int64, false, "Content-Length of the request; null when absent or invalid.", func(r *Row) bool { return r.RequestContentLength >= 0 }, func(r *Row) int64 { return r.RequestContentLength }),
		intCol("response_content_length", schema.Int64, false, "Content-Length of the final response; null when absent or invalid.", func(r *Row) bool { return r.ResponseContentLength >= 0 }, func(r *Row) int64 { return r.ResponseContentLength }),
		intCol("request_frame", schema.Int64, false, "Frame of the packet that delivered the request's first byte; null without a request.", hasReq, func(r *Row) int64 { return r.RequestFrame }),
		intCol("response_frame", schema.Int64, false, "Frame of the packet that delivered the final response's first byte; null without a response.", hasResp, func(r *Row) int64 { return r.ResponseFrame }),
		strCol("note", false, "What went wrong (\"request: ...\", \"response: ...\"): cut header sections, bad framing, gaps, decoding caps, a request never answered; null when nothing.", func(r *Row) string { return r.Note }),
	},
}

func init() {
	if err := Table.Validate(); err != nil {
		panic(err)
	}
}
