// Package decode puts back together data smuggled over DNS, both ways (up from the client in the names of the
// queries: Decode; down from the server in the answers: DecodeDown), and identifies bytes carved from streams.
//
// # DNS
//
// Decode takes the queries of a capture (ReadQueries reads them with the dns table's analyzer, or the caller
// gives the dns table's rows) and a base domain, keeps the queries below it and strips the domain. It then
// recognises the tool from the framing of the names (Options.Tool forces one):
//
//   - DNSExfiltrator (Arno0x): init.<base32 of "name|chunks">.<base32|base64>, then <chunk>.<data labels>; the
//     data is RC4 under a password over a zip archive: with Options.Key the file comes out, without it the
//     ciphertext, said to be encrypted.
//   - iodine: data queries (a hex user id, three base32 header characters with the sequence and fragment
//     numbers, a cache-defeating character, the payload in base32, base64, base64u or base128); fragments are
//     joined and decompressed (zlib) into the IP packets the client sent, written as a pcap (WritePcap).
//   - dns2tcp: base64 labels with a 7-byte header (session, ack, sequence, type) and =auth/=connect commands:
//     the client's side of the tunnelled TCP stream, in sequence order.
//   - dnscat2: hex packets (after a "dnscat" label or before the domain); MSG packets in order, the client's
//     data per session; an encrypted session is said so (its keys come from ECDH: a capture cannot undo it).
//   - the plain scheme scripts use: labels that are the same in every query (a session id, a tag) are stripped,
//     a label that is a short number in nearly every query and spans about as many values as there are
//     queries is the sequence marker (first or last label; decimal, else hex), the rest is the chunk.
//
// Chunks are ordered by their sequence numbers when there are any (a repeated number is a retransmission and
// dropped; gaps are counted), else taken in capture order with a repeat of one of the 8 chunks before dropped.
// The encoding of the plain scheme is recognised from the alphabet of the whole text (Guess): hex, base32 (with
// or without padding), base32hex, base36, base58, base64, base64url, and iodine's codecs; the narrowest alphabet
// that fits is tried first and the next one when it does not decode. The text is decoded whole, else chunk by
// chunk (a tool that encodes each chunk with its own padding); base36 and base58, being big numbers, are always
// decoded chunk by chunk. A label padded with '-' is trimmed and a '*' read as '/' (tools that keep host-name
// syntax). The result is decompressed when it is a gzip, zlib or raw deflate stream (Decompress) and identified
// (Identify: MIME type by github.com/gabriel-vasile/mimetype, Shannon entropy). What cannot be decoded is said in
// Result.Notes with the best guess and why.
//
// # Downstream
//
// ReadResponses reads the DNS responses under the domain from the capture itself (the dns table keeps answers as
// Zeek writes them, without NULL records' bytes), in one pass of package tables: UDP from port 53 with IP
// fragments reassembled, and TCP on port 53 (length-prefixed messages of the reassembled connections);
// ParseResponse parses each (RFC 1035 §4.1, compression pointers followed). DecodeDown recognises the tool from the question names, as Decode does,
// and reads its answers: iodine's 2-byte downstream header and fragments (raw in NULL, a codec letter in TXT and in
// host names), dns2tcp's TXT (an index letter, base64 of its 7-byte header and the data), dnscat2's packets (hex in
// TXT, CNAME, MX; order-numbered raw bytes in A and AAAA), and for the plain scheme the text of TXT answers,
// ordered by a sequence label of the question names when there is one. With no domain and Options.Tool dnscat2,
// both read the names that begin with dnscat2's "dnscat" tag (its client talking to the server directly).
// ReadResponses also keeps the queries that carry answer records (Response.Query): DecodeQueryAnswers puts back
// together the data a client put in the answer section of its own queries, as the plain scheme.
//
// # Bounds
//
// Captures are hostile: at most MaxQueries queries and MaxResponses responses (MaxAnswerBytes of answers kept,
// 256 records a response, 64 compression pointers a name), results (decoded or decompressed) capped at MaxOutput or
// Options.Limit (ErrTooLarge), big-number chunks at MaxBigChunk characters, iodine packets at 64 KiB, Carve at
// MaxCarved files. Every loop is bounded by its input.
package decode
