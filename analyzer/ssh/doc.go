// Package ssh is the analyzer of the ssh table: one row per SSH connection, with the columns of Zeek's ssh.log
// (versions, negotiated algorithms, the inferred authentication outcome) and the HASSH fingerprints.
//
// # Which connections
//
// Every TCP connection is looked at (analyzer.Analyzer.Stream), whatever the port: it is SSH when a side's
// identification line starts with "SSH-" (RFC 4253 §4.2). The client's first bytes must be its identification
// line; the server may send other lines before its own (at most maxPreLines lines of at most maxLine bytes each). A
// connection whose client's first bytes are not "SSH-" is left at once (StreamDone). Service reports "ssh".
//
// # Key exchange
//
// After the identification, each side's binary packets (RFC 4253 §6) are read in clear until that side's
// SSH_MSG_NEWKEYS: its first SSH_MSG_KEXINIT gives the ten algorithm name-lists. What follows NEWKEYS is
// encrypted and only counted (below). The algorithms chosen follow RFC 4253 §7.1: for each list, the first
// algorithm of the client's list that the server's list contains (none: null and a note). The encryption, MAC
// and compression columns name one algorithm when both directions chose the same, else
// "to server: X, to client: Y", as Zeek's find_bidirectional_alg writes them. (With an AEAD cipher such as
// chacha20-poly1305@openssh.com or aes*-gcm@openssh.com, OpenSSH ignores the MAC chosen; the column still shows
// what the lists negotiate, as Zeek does.)
//
// HASSH and HASSHServer are computed as salesforce/hassh specifies (v1.1): the MD5, in lower-case hex, of the
// client's "kex;encryption_c2s;mac_c2s;compression_c2s" name-lists (hassh_algorithms), and of the server's
// "kex;encryption_s2c;mac_s2c;compression_s2c" (hassh_server_algorithms), the lists as sent.
//
// # Authentication: an inference
//
// The outcome of authentication is encrypted; like Zeek (its SSH analyzer's ProcessEncrypted and
// base/protocols/ssh/main.zeek), the table infers it from the sizes of the encrypted data of each Data call
// (about one TCP segment) after the NEWKEYS of each side, for SSH 2 only, and only while no gap was seen:
//
//   - server data before the client sent any encrypted data is ignored;
//   - the server's first encrypted segment is taken as its SSH_MSG_SERVICE_ACCEPT, whose size is remembered;
//   - a later server segment 16 bytes shorter than it (the size of SSH_MSG_USERAUTH_SUCCESS) is a success;
//   - otherwise the first larger server segment is taken as SSH_MSG_USERAUTH_FAILURE (a segment more than 256
//     bytes larger, once, is a pre-authentication banner and skipped), and each later segment of that same size
//     is one more failed attempt.
//
// Each inferred attempt counts in auth_attempts; auth_success is the outcome of the last one (null when none
// was inferred), and stays true once true. It is a guess from sizes: keystroke timing, a different cipher block
// size, compression or a server that coalesces messages make it wrong, as Zeek's documentation warns.
//
// # Direction
//
// Zeek sets direction from its Site::local_nets; this table has no site configuration and takes the private,
// loopback and link-local addresses (RFC 1918, RFC 4193, ...) as local: OUTBOUND when the client is local and
// the server is not, INBOUND for the reverse, null otherwise.
//
// # Bounds
//
// Identification lines are capped at maxLine bytes (255 in RFC 4253) and maxPreLines lines; a clear-text
// packet at MaxPacket bytes (RFC 4253 §6.1 asks for 35000); a name-list at its packet's size; longer input is
// noted and that side is no longer parsed. Nothing is kept of encrypted data but counters, and the state of a
// connection is dropped when its flow ends.
package ssh
