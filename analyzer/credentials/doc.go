// Package credentials is the analyzer of the credentials table: one row per credential that crossed the wire in
// clear text, with the server's verdict. The table is SENSITIVE: its username and password columns hold secrets
// as they were sent, and the table's and columns' documentation says so.
//
// # Which connections
//
// TCP connections are read by the server's port: 21 FTP, 25, 587 and 2525 SMTP, 110 POP3, 143 IMAP, 23 Telnet,
// 194, 6660-6669 and 7000 IRC, 445 and 139 SMB; any connection whose client starts with an HTTP/1.x request line
// is HTTP, whatever the port. Lines end at LF (a CR before it is removed) and are cut at MaxLine bytes (noted).
// A gap in the capture ends the reading of the connection; STARTTLS (SMTP, IMAP), STLS (POP3) and AUTH TLS (FTP)
// end it once the server accepts, as everything after is encrypted.
//
// # What is a credential
//
//   - FTP (RFC 959): USER then PASS; the reply to PASS decides (2yz accepted, 4yz/5yz refused), or the reply to
//     USER when no PASS follows.
//   - SMTP AUTH (RFC 4954), POP3 AUTH (RFC 5034), IMAP AUTHENTICATE (RFC 3501): the SASL mechanisms PLAIN
//     (RFC 4616: authzid NUL authcid NUL password, base64), LOGIN (the user and the password, each base64, the
//     password when the decoded challenge asks for it or at the second response), CRAM-MD5 (RFC 2195: the user,
//     and hashcat's $cram_md5$challenge$response as the secret) and NTLM (below); initial responses included,
//     "*" cancels. SMTP 235 accepts, other 4yz/5yz refuse; SMTP DATA content is skipped.
//   - POP3 (RFC 1939): USER/PASS and APOP (the user and the MD5 digest); +OK accepts, -ERR refuses.
//   - IMAP (RFC 3501): "tag LOGIN user password", each an atom, a quoted string (\" and \\ unescaped) or a
//     literal {n} (its n bytes, after the line, kept up to 4 KiB); the tagged OK accepts, NO or BAD refuse.
//   - IRC (RFC 2812): PASS, with the NICK that follows as the user; 001 (welcome) accepts, 464 refuses. A
//     "PRIVMSG NickServ :IDENTIFY [account] password" is a row too, undecided (NickServ's answers vary).
//   - HTTP: the Authorization and Proxy-Authorization headers of each request. Basic (RFC 7617) gives the user
//     and password; Digest (RFC 7616) the user, and the header's parameters (response included) as the secret;
//     NTLM and Negotiate carrying NTLMSSP, the AUTHENTICATE message (below). The response to that request decides:
//     a status below 400 accepts, 401, 403 and 407 refuse, others leave it undecided. Messages are framed by
//     RFC 9112 (Content-Length, chunked, bodies passed over without being kept); a response delimited by the
//     close of the connection ends the reading of the server's side.
//   - NTLMSSP (MS-NLMP) AUTHENTICATE messages, in HTTP, SASL, and in SMB session setups (searched for in the
//     first MiB of each direction of ports 445 and 139): the user, domain and workstation (UTF-16 when the
//     message says Unicode); with the server's CHALLENGE seen before, the secret is in hashcat's NetNTLMv2
//     (user::domain:challenge:NTProofStr:blob) or NetNTLMv1 (user::domain:lm:nt:challenge) format, else the NT
//     response in hex. SMB's next SESSION_SETUP response decides (status 0 accepts, another refuses, more
//     processing waits).
//
// # Telnet: a heuristic
//
// Telnet has no login protocol: the server prints prompts and the client types. The Telnet commands (IAC
// sequences, option negotiation, subnegotiations) are removed from both directions first. When the server's
// text (ASCII case ignored, trailing blanks ignored) ends with "login:", "username:", "user name:" or "user:",
// the client's next line (ended by CR or LF; backspace and delete applied) is the user; when it ends with
// "password:", "passcode:" or "passwd:", the client's next line is the password, and the row waits for a verdict
// from the server's next text (up to 1 KiB): "incorrect", "failed", "denied", "invalid", "bad password" or a new
// prompt refuse it; the client typing another line without a new prompt accepts it (a shell took the input); at
// the end of the connection, "last login", "welcome" or a final $, #, > or % (a shell prompt) accept it;
// otherwise it stays undecided. A login whose prompts are localised or unusual is missed.
//
// # Bounds
//
// Lines are cut at MaxLine bytes, user names and passwords at 1 KiB (noted), header lines at 256 per message,
// credentials waiting for a reply at MaxPending per connection (then the oldest is emitted undecided), requests
// waiting for their response at 64; bodies are
// passed over by count, never buffered; Telnet keeps at most 128 bytes of prompt text and 1 KiB of verdict text.
// The state of a connection is dropped when its flow ends, after its waiting credentials are emitted undecided.
package credentials
