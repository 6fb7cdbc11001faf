// Package http is the analyzer of the http table: one row per HTTP/1.x request and its response over
// reassembled TCP, with the columns of Zeek's http.log. Its message parser (Parser), connection reader (Conn)
// and object pipeline (File, FileSink) are exported so that package files builds its HTTP objects with the same
// code, and the two tables agree.
//
// # Which connections
//
// Every TCP connection is looked at, whatever the port: it is HTTP when the client's first bytes are a request
// line (method of upper-case letters, a target, HTTP/d.d; or HTTP/0.9's "GET /path"), or the server's a status
// line. Up to 16 bytes that cannot start a message are skipped at a direction's start (a capture that begins
// with a keep-alive byte), and up to four runs of bytes are tried; then the direction is given up, and a
// connection whose client is not HTTP is no longer reassembled (analyzer.StreamDone). Service says "http".
//
// # Messages (RFC 9112)
//
// A message is its start line, header fields (obsolete line folding joined, noted), and a body framed as RFC
// 9112 §6.3 says: Transfer-Encoding ending in chunked (§7.1: chunk extensions and trailer fields read and
// ignored), else Content-Length (several values must agree), else none for a request and the rest of the
// connection for a response. Responses to HEAD, 1xx, 204 and 304 have no body; after 101 Switching Protocols
// or a 2xx answer to CONNECT the connection is a tunnel and is no longer read. Interim 1xx responses (100
// Continue) fill info_code and info_msg of the transaction they precede.
//
// # Transactions
//
// Requests are numbered in their connection (trans_depth) and responses are paired with them in order
// (pipelining, keep-alive). A response without a request gets the next number and a row of its own; a request
// never answered gets a row with a note. A row is emitted when both its messages are over, in trans_depth order,
// or when the connection ends. At most MaxPending (256) transactions, and MaxPendingBytes (256 KiB) of their
// headers, wait per connection; past either the oldest is emitted without its response (noted).
//
// # Objects and fuids
//
// A body becomes one object (File), or one per part of a multipart/form-data body (RFC 7578; parts read with
// mime/multipart, nested multipart parts are not split further, at most MaxParts). Content-Encoding gzip,
// x-gzip, deflate (zlib, or raw deflate as browsers accept) and br are removed for the object, at most
// MaxDecodedBytes (32 MiB) per body: past it the object is cut and noted (a decompression bomb costs at most
// that much work). request_body_len and response_body_len are the decoded sizes, as Zeek's (the body's own
// size when it could not be decoded). The object's MIME type is detected from its first 3,072 bytes by
// github.com/gabriel-vasile/mimetype. Decoders and the multipart reader pull from an io.Reader; a Stage holds
// the first 256 KiB of a body (64 MiB over all bodies at once) and, when the body ends within them, runs the
// decoder over them on the caller's goroutine; a longer body starts a goroutine for its decoder that alternates
// strictly with the caller (a coroutine), so it streams through without being held, and results do not depend on
// scheduling either way.
//
// In a pass that builds both the http and the files table, the files analyzer reads the objects of a connection
// from the http analyzer's Conn of it (Share: the http analyzer offers the Conn it made in Stream, keyed by the
// driver's *analyzer.Flow of the connection, and the files analyzer, asked next, takes it and gives it its sinks
// with Conn.SetOpen), so each connection is parsed and each body decoded once for both tables.
//
// fuid is deterministic: "F" and 17 base62 digits of the first 96 bits of SHA-256 of the flow's uid, the
// direction (o or r), trans_depth and the part number (0 for a whole body), joined by "/" (FUID). The files
// table computes the same value from the same inputs, so http.orig_fuids/resp_fuids join files.fuid without the
// two analyzers sharing state, and reruns give the same ids.
//
// # Texts
//
// Texts are the capture's bytes as strings, with each byte of an unsafe character (controls, invalid UTF-8,
// bidirectional overrides: internal/textsafe) written \xHH; a backslash is kept as is, so the form is not
// reversible when the text holds "\x". uri is the request-target as sent (Zeek's uri is percent-decoded).
// Headers are kept in two parallel lists per message (request_header_names/values, response_header_names/values:
// the schema has no list of structs). username and password come from a Basic Authorization header (RFC 7617)
// and are sensitive.
//
// # Bounds
//
// A header section is kept up to Limits.MaxHeaderBytes (64 KiB; the rest is scanned for its end without being
// kept, noted) and Limits.MaxHeaders fields (256); a start line must end within 16 KiB; chunk-size lines within
// 1 KiB; at most 8 notes per message. Bodies stream to their objects; only a body under a content coding or
// multipart is held, up to 256 KiB (StageLazy, MaxLazyTotal over all) before its decoder starts, then 32 KiB
// (StageBuffer) between handovers. After a gap in the header section or in chunk framing, or a gap past the end of
// a body, the direction waits for a run of bytes that starts a message (noted). The state of a connection is
// dropped at FlowEnd.
//
// # Checked
//
// TestGoldenTshark compares every request (method, URI, Host, User-Agent, Content-Length) and response (status
// code, Content-Length) tshark dissects on 19 captures with the rows of the same TCP stream, in order
// (scripts/golden-http.sh); the differences are listed in the test with their reasons (a response whose body
// was not captured whole, which tshark does not show). Chunked coding is checked on RFC 9112's grammar with a
// worked example, content codings against the standard library's and brotli's encoders, multipart against the
// standard library's writer; hostile inputs, fuzz targets (FuzzConn, FuzzMultipart) and BenchmarkAnalyzer.
package http
