package decode

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
)

// Stream says what the bytes one side of a flow sent are: text in a base-N encoding is decoded, a compressed
// stream decompressed, the result identified (MIME type, entropy) and, when it has no known type, the files
// inside it carved by their magic bytes. When nothing is recognised and the entropy is that of encrypted data,
// Result.Encrypted is set and the notes give the best guess; context (the cleartext of the other conversations
// between the same hosts, if the caller has it) is searched for what names the tool or the key (Hints).
func Stream(data, context []byte, limit int64) (*Result, error) {
	if limit <= 0 {
		limit = MaxOutput
	}
	r := &Result{Tool: "stream", Encoding: Raw}
	body := bytes.Join(bytes.Fields(data), nil) // base-N text sent with line breaks
	if len(body) >= 16 && len(body)*10 >= len(data)*9 {
		if cands, why := Guess(string(body)); len(cands) > 0 && cands[0] != Raw {
			for _, e := range cands {
				if e == Raw || e == Base36 || e == Base58 {
					continue
				}
				if b, err := DecodeString(e, string(body)); err == nil {
					r.Encoding, r.Why, data = e, why, b
					break
				}
			}
		}
	}
	out, comp, err := Decompress(data, limit)
	if err != nil {
		return nil, err
	}
	r.Data, r.Compression, r.Decoded = out, comp, true
	r.Identity = Identify(out)
	if r.MIME == "application/octet-stream" {
		r.Carved = Carve(out)
		for _, c := range r.Carved {
			r.note("a file of type %s starts at byte %d", c.MIME, c.Offset)
		}
		if len(r.Carved) == 0 && r.Entropy >= 7.5 && len(out) >= 1024 {
			r.Encrypted = true
			r.note("no file signature anywhere and %.3f bits/byte: encrypted (or compressed without a header); best guess: an encrypting netcat (cryptcat, ncat --ssl without a TLS handshake seen, openssl enc) or a custom cipher", r.Entropy)
		}
	}
	for _, h := range Hints(context) {
		r.note("the hosts' other conversations say: %q", h)
	}
	return r, nil
}

// hintRE matches words that name an encrypting tool, a cipher or a secret in cleartext chat.
var hintRE = regexp.MustCompile(`(?i)\b(cryptcat|ncat|netcat|socat|openssl|gpg|pgp|aes|twofish|blowfish|xor|rc4|base64|encrypt\w*|cipher\w*|password\w*|passwd|passphrase|key|secret)\b`)

// secretRE matches the hint words that ask for a secret.
var secretRE = regexp.MustCompile(`(?i)^(password\w*|passwd|passphrase|key|secret)$`)

// MaxHints bounds the lines Hints returns.
const MaxHints = 10

// Hints returns the printable lines of text (at most MaxHints, each at most 200 characters) that name an
// encrypting tool, a cipher or a secret, and the line after one that names a secret (a chat's answer).
func Hints(text []byte) []string {
	var out []string
	answer := false // the line after one that asks for a secret is the answer, in a chat
	for _, line := range bytes.FieldsFunc(text, func(r rune) bool { return r == '\n' || r == '\r' || r == 0 }) {
		s := strings.TrimSpace(string(bytes.ToValidUTF8(line, nil)))
		m := hintRE.FindString(s)
		take := len(s) >= 4 && (m != "" || answer)
		answer = secretRE.MatchString(m)
		if !take {
			continue
		}
		printable := 0
		for _, c := range []byte(s) {
			if c >= 0x20 && c < 0x7f {
				printable++
			}
		}
		if printable*10 < len(s)*9 {
			continue
		}
		if len(s) > 200 {
			s = s[:200]
		}
		out = append(out, s)
		if len(out) == MaxHints {
			break
		}
	}
	return out
}

// String writes the result as the lines `pcapframe decode` prints (capture text escaped by the caller's clean).
func (r *Result) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "tool: %s\n", r.Tool)
	switch r.Direction {
	case Up:
		if r.inAnswers {
			b.WriteString("direction: up (the client's data, in the answer section of its queries)\n")
		} else {
			b.WriteString("direction: up (the client's data, in the names of the queries)\n")
		}
	case Down:
		b.WriteString("direction: down (the server's data, in the answers)\n")
	}
	if r.Domain != "" {
		fmt.Fprintf(&b, "domain: %s\n", r.Domain)
	} else if r.Direction != "" {
		b.WriteString("domain: none (names that begin with dnscat2's \"dnscat\" tag)\n")
	}
	fmt.Fprintf(&b, "encoding: %s", r.Encoding)
	if r.Why != "" {
		fmt.Fprintf(&b, " (%s)", r.Why)
	}
	b.WriteString("\n")
	if r.Compression != "" {
		fmt.Fprintf(&b, "compression: %s\n", r.Compression)
	}
	if r.Queries > 0 {
		what := "queries"
		if r.Direction == Down {
			what = "responses"
		}
		fmt.Fprintf(&b, "%s: %d, chunks used: %d, duplicates dropped: %d, missing: %d, ordered by: %s\n",
			what, r.Queries, r.Chunks, r.Duplicates, r.Missing, map[bool]string{true: "sequence numbers", false: "capture order"}[r.Sequenced])
	}
	if r.FileName != "" {
		fmt.Fprintf(&b, "name sent: %s\n", r.FileName)
	}
	switch {
	case len(r.Packets) > 0:
		fmt.Fprintf(&b, "result: %d IP packets (pcap, raw IP)\n", len(r.Packets))
	case r.Decoded:
		fmt.Fprintf(&b, "result: %d bytes, %s, entropy %.3f bits/byte", len(r.Data), r.MIME, r.Entropy)
		if r.Encrypted {
			b.WriteString(", encrypted")
		}
		b.WriteString("\n")
		if r.Guess != "" && !r.Encrypted {
			fmt.Fprintf(&b, "guess: %s\n", r.Guess)
		}
	default:
		b.WriteString("result: not decoded\n")
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	return b.String()
}
