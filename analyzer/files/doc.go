// Package files is the analyzer of the files table: one row per object a protocol carried, as Zeek's files.log,
// with its hashes (MD5, SHA-1, SHA-256, computed incrementally as the bytes stream by), the Shannon entropy of
// its bytes and its MIME type detected from its first 3,072 bytes (github.com/gabriel-vasile/mimetype). The
// table path never keeps an object's bytes; pcapframe extract gets them through Options.Open.
//
// # Sources
//
// Every TCP connection is offered to four readers, each of which gives up as soon as the connection is not its
// protocol (when all have, the connection is no longer reassembled):
//
//   - HTTP (source HTTP): package http's connection reader and objects, the same code as the http table's: each
//     body of either direction after its chunked and content codings are removed (gzip, deflate, br, capped at
//     http.MaxDecodedBytes), each part of a multipart/form-data body. fuid is http.FUID of the flow, direction,
//     trans_depth and part, so http.orig_fuids/resp_fuids join files.fuid. The objects are those tshark's
//     --export-objects http writes (TestTsharkExportObjects, by SHA-256). When the http table is built in the
//     same pass, the http analyzer's reader of the connection is used (http.Share), not a second one.
//   - SMTP (source SMTP): a connection whose server greets with 220 and whose client says HELO, EHLO or LHLO;
//     each DATA message (RFC 5321 §4.1.1.4, dot-stuffing removed) is read by net/mail and mime/multipart: every
//     MIME leaf (RFC 2045/2046; text bodies included, as Zeek) is an object, base64 and quoted-printable
//     decoded, its name from Content-Disposition's filename or Content-Type's name (RFC 2047 words decoded).
//     depth is the message number in the connection, part the leaf's number (0 for a message that is not
//     multipart). STARTTLS and BDAT (RFC 3030) end the reading. Multipart nesting is followed 8 levels deep, at
//     most 1,024 leaves per message, and a top-level header section of at most 256 KiB; a gap or the
//     connection's end inside a message ends it, its last object incomplete.
//   - FTP control (RFC 959): a connection whose server greets with 220 and whose client logs in (USER); its
//     227 (PASV) and 229 (EPSV, RFC 2428) replies and PORT and EPRT commands announce data connections. The
//     data connection whose listening endpoint was announced (within 5 minutes of packet time) is one FTP_DATA
//     object: what its sending side sends, named by the RETR/STOR/STOU/APPE in force at its first byte (a
//     listing, LIST/NLST/MLSD, has no name), total_bytes from the 150 reply's "(N bytes)" of a RETR. depth is
//     the transfer's number on the control connection; the fuid is made from the data connection's uid.
//   - IRC (RFC 2812): a connection whose client's first line is NICK, USER, PASS or CAP; a DCC SEND offer in
//     either direction ("\x01DCC SEND name ip port size\x01") announces the sender's address and port, and the
//     connection to it is one IRC_DATA object: what the sender sends (the receiver's 4-byte acknowledgements are
//     not), with the offer's name and size. An offer behind NAT (a private address in the offer) is not matched.
//
// Announced data connections are held in one table of at most MaxExpected (4,096) entries over all control
// connections, oldest forgotten first, each used once.
//
// # Columns
//
// direction is orig when the flow's originator sent the object (an HTTP request body, an SMTP message, an FTP
// STOR over a passive data connection, a RETR over an active one), resp otherwise. complete is true when the
// object was seen whole: its message ended as framed, no gap, no cap, and its size equals total_bytes when that
// was announced. ts and the frames are those of the packets that delivered the object's first and last bytes;
// for objects read through a decoder (content codings, multipart, SMTP's MIME reader) they are those of the
// packet whose bytes were handed to the decoder: the decoder of a message of at most 256 KiB runs when the
// message ends (http.StageLazy), a longer one is fed every 32 KiB (http.StageBuffer). Names and notes are the
// capture's bytes with unsafe characters written \xHH. The table path keeps no object's bytes beyond what
// those decoders hold (http.MaxLazyTotal over all).
//
// # Checked
//
// HTTP objects against tshark --export-objects http on six captures (TestTsharkExportObjects); the attachment
// of zeek__smtp.pcap against a decoding by hand (TestSMTPCapture); SMTP MIME forms against the standard
// library's encoders (TestSMTPMIME); FTP data on zeek__ftp_ipv4.pcap against tshark's --export-objects
// ftp-data and Follow TCP Stream (TestFTPCapture); the PASV, PORT, EPSV and EPRT parsers on RFC 959/2428's
// forms (TestFTPParsers); DCC SEND on synthetic connections (TestDCCTransfer) and on a real transfer between
// two WeeChat clients through an ngIRCd server on loopback, captured with package live (TestDCCReal: the row's
// name, size and SHA-256 are those of the file received; the corpus has no IRC capture). Fuzz targets:
// FuzzSMTPMessage, FuzzFTPReplies, FuzzDCCSend (and package http's FuzzConn and FuzzMultipart).
package files
