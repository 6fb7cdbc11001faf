// Package tls is the analyzer of the tls table: one row per TLS handshake over TCP and per QUIC connection
// handshake, with the columns of Zeek's ssl.log, the ClientHello and ServerHello fields, the leaf certificate and
// the JA3, JA3S and JA4 fingerprints.
//
// # TLS over TCP
//
// Every TCP connection is looked at (analyzer.Analyzer.Stream); it is TLS when the client's first bytes are a TLS
// record header (content type 20 to 24, major version 3, length at most 2^14+2048) or an SSLv2-compatible
// ClientHello (RFC 5246 Appendix E.2), whatever the port. Records are parsed as the reassembled stream delivers
// them, so records split across segments and handshake messages split across records are put together; clear-text
// handshake messages (ClientHello, ServerHello, Certificate, ServerKeyExchange, ServerHelloDone) are read, then
// only record headers are followed (ChangeCipherSpec, alerts, encrypted records), without copying or allocating.
// A gap in the capture stops the parsing of that direction unless it falls inside an encrypted record, whose
// length is known.
//
// The handler of a connection is an analyzer.StreamDone, so that the driver stops reassembling a connection once
// nothing in it can change the row: when its handshake is established, or when it is not TLS. A client that starts
// with an HTTP request (any method but CONNECT, whose tunnel often carries TLS) or an SSH banner, or a server that
// starts with an SSH banner, is not TLS; other clear text is followed for up to 64 client segments, as it may turn
// to TLS (STARTTLS in SMTP, IMAP, POP3, FTP, XMPP; PostgreSQL's SSLRequest).
//
// # QUIC
//
// UDP datagrams whose first packet is a long-header Initial packet of a supported version (1, 2, drafts 29-32)
// start a QUIC conversation; package quic removes the Initial packets' protection (keys derived from the client's
// first Destination Connection ID), and the CRYPTO frames of each side are put back in order across packets and
// coalesced packets before the handshake messages are read. Other versions on port 443 get a row with a note.
//
// # Bounds
//
// A handshake message longer than MaxHandshake (64 KiB) is skipped with a note, QUIC CRYPTO data beyond 64 KiB is
// ignored, lists of more than MaxListItems entries are cut, and at most 8 distinct notes are kept per row: a
// connection never holds more than a few hundred KiB, whatever the input. The state of a flow is dropped when the
// flow ends.
//
// # Established
//
// A handshake is established when, for TLS up to 1.2, each side sent ChangeCipherSpec followed by a handshake
// record (its encrypted Finished); for TLS 1.3, the server sent an application_data record after its ServerHello
// (its encrypted flight) and the client then sent one (its Finished or data); for QUIC, both sides sent 1-RTT
// (short header) packets, which each may send only once it has the handshake keys of its peer's flight. This is
// Zeek's rule (ssl.log's established: both sides switched to encryption, then a ciphertext record), and it does not
// need the ServerHello: a flow caught midstream whose capture lacks the server's first flight (tls2.pcap has 29
// such handshakes) is established when both ChangeCipherSpec and Finished records are in the capture (28 of the
// 29, as tshark's record types show; TestGoldenEstablished), with a null version.
package tls
