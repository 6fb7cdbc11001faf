package decode

import (
	"crypto/cipher"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/twofish"
)

// CryptcatDefaultKey is the password cryptcat uses when none is given (-k).
const CryptcatDefaultKey = "metallica"

// MaxCryptcatMessage bounds the data size a cryptcat header may announce: netcat writes at most 8192 bytes at
// a time; a larger size is taken as a wrong key or a damaged stream.
const MaxCryptcatMessage = 1 << 16

// maxCryptcatCandidates bounds the passwords StreamCryptcat tries.
const maxCryptcatCandidates = 256

// ErrCryptcatKey is returned when the password does not decrypt the stream's first message header.
var ErrCryptcatKey = errors.New("the key does not decrypt a cryptcat message header")

// CryptcatKey returns the 32-byte Twofish key cryptcat derives from password (farm9's generateKey).
func CryptcatKey(password string) ([]byte, error) {
	if password == "" {
		return nil, errors.New("cryptcat key: empty password")
	}
	k := make([]byte, 32)
	for i, j := 0, 0; i < len(k); i++ {
		c := int8(password[j])
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f':
			k[i] = byte(c)
		default:
			if q := c % 16; q < 10 { // Go's % truncates towards zero as C's does: q is in -15..15
				k[i] = byte('0' + q)
			} else {
				k[i] = byte('a' + q - 10)
			}
		}
		if j++; j == len(password) {
			j = 0
		}
	}
	return k, nil
}

// CryptcatResult is a decrypted cryptcat stream.
type CryptcatResult struct {
	// Data is the plaintext: the data of every message, in order.
	Data []byte
	// Messages is how many messages were decrypted; Largest the largest data size among them.
	Messages, Largest int
	// Skipped is how many bytes were skipped to find the next valid header after one that did not decrypt (a
	// gap or damage in the stream), in Resyncs places.
	Skipped, Resyncs int
	// Truncated is how many bytes the last message lacks (the stream ends inside it); the full blocks of it
	// that arrived are in Data.
	Truncated int
	// Header is the first message's decrypted header text, e.g. "8192 3304x".
	Header string
}

// cryptcatHeader decrypts the message header at the start of b: it returns the data size and the header text
// when the first block reads "<digits> <digits>x" and the second block decrypts to the same 16 bytes. When the
// data is shorter than a block, the second block is the one its ciphertext stealing replaced, so the whole
// message is decrypted to compare the two (when b holds it; a message cut short is taken on its first block).
func cryptcatHeader(c cipher.Block, b []byte) (int, string, bool) {
	if len(b) < 32 {
		return 0, "", false
	}
	var p0, p1 [16]byte
	c.Decrypt(p0[:], b[:16])
	i, size := 0, 0
	for ; i < 6 && p0[i] >= '0' && p0[i] <= '9'; i++ {
		size = size*10 + int(p0[i]-'0')
	}
	if i == 0 || i == 6 || p0[i] != ' ' || size > MaxCryptcatMessage {
		return 0, "", false
	}
	j := i + 1
	for ; j < 16 && p0[j] >= '0' && p0[j] <= '9'; j++ {
	}
	if j == i+1 || j == 16 || p0[j] != 'x' {
		return 0, "", false
	}
	switch {
	case size >= 16:
		c.Decrypt(p1[:], b[16:32])
		for k := range p1 {
			p1[k] ^= b[k]
		}
	case len(b) >= 32+size:
		var m [47]byte
		decryptCBCCTS(c, m[:32+size], b[:32+size])
		copy(p1[:], m[16:32])
	default:
		p1 = p0
	}
	if p0 != p1 {
		return 0, "", false
	}
	return size, string(p0[:j+1]), true
}

// decryptCBCCTS decrypts src (at least 16 bytes) into dst (as long) in CBC with a zero IV and farm9's
// ciphertext stealing for a last partial block.
func decryptCBCCTS(c cipher.Block, dst, src []byte) {
	n, r := len(src)/16, len(src)%16
	var prev, x [16]byte // prev: the ciphertext block before (the zero IV at first)
	full := n
	if r != 0 {
		full = n - 1 // the last full block holds the stolen one
	}
	for i := 0; i < full; i++ {
		blk := src[i*16 : i*16+16]
		c.Decrypt(x[:], blk)
		for k := range x {
			dst[i*16+k] = x[k] ^ prev[k]
		}
		copy(prev[:], blk)
	}
	if r == 0 || n == 0 {
		return
	}
	// src[full*16:][:16] is E(Pn||0 XOR Cn-1); the r bytes after it are the first r bytes of Cn-1
	var y, cn1 [16]byte
	c.Decrypt(y[:], src[full*16:full*16+16])
	tail := src[n*16:]
	for k := 0; k < r; k++ {
		dst[n*16+k] = y[k] ^ tail[k]
	}
	copy(cn1[:], tail)
	copy(cn1[r:], y[r:])
	c.Decrypt(x[:], cn1[:])
	for k := range x {
		dst[full*16+k] = x[k] ^ prev[k]
	}
}

// decryptCBC decrypts the whole blocks of src into dst in CBC with a zero IV (a message cut short: its last
// blocks cannot be told apart from stolen ones, so only whole blocks before the last partial are trusted).
func decryptCBC(c cipher.Block, dst, src []byte) {
	var prev, x [16]byte
	for i := 0; i+16 <= len(src); i += 16 {
		c.Decrypt(x[:], src[i:i+16])
		for k := range x {
			dst[i+k] = x[k] ^ prev[k]
		}
		copy(prev[:], src[i:i+16])
	}
}

// DecryptCryptcat decrypts bytes one side of a cryptcat connection sent, under password. It returns
// ErrCryptcatKey when the first message's header does not decrypt (a wrong key, or not cryptcat). A later
// header that does not decrypt (a gap in the capture) is skipped over: the next valid header is searched for
// byte by byte within MaxCryptcatMessage+32 bytes; if none is found the rest is dropped and counted in Skipped.
// The plaintext is never longer than data.
//
// Cryptcat is netcat with Twofish (farm9's cryptcat 1.x; the notebook's capture, made by a cryptcat in the wild,
// follows what is written here byte for byte). What it does, read from farm9's farm9crypt.cc and twofish2.cc
// (not vendored here):
//
//   - Key: generateKey turns the password (-k, default "metallica") into 32 ASCII characters, used as they are as
//     a 256-bit Twofish key: the password is repeated to 32 characters and each character kept when it is 0-9 or
//     a-f, else replaced by the hex digit of its value modulo 16 (C's % on a signed char: a byte above 0x7f
//     gives '0' plus a negative remainder).
//   - Messages: each write of netcat (at most 8192 bytes, a read of its input) becomes one message, encrypted
//     alone: a 16-byte header, sprintf("%d %d", size, rand()) with the NUL replaced by 'x' (the rest of the
//     buffer is whatever the stack held), encrypted twice, then the size bytes of data: 32+size bytes in all.
//   - Mode: CBC with a zero IV restarted at each message (resetCBC), over header, header and data; a last
//     partial block uses ciphertext stealing (Applied Cryptography, p. 196): the last full ciphertext block is
//     E(Pn padded with zeros XOR Cn-1), followed by the first bytes of Cn-1, so a message is as long as its
//     plaintext.
//
// The receiver reads 32 bytes, takes the size from the first block (atoi) and reads that many more. A password
// is taken as right only when a message's header decrypts to "<size> <number>x" and its second block to the
// same 16 bytes: a wrong key fails that with certainty in practice (2^-128 for the repeat alone). Passwords
// that differ only in characters with the same value modulo 16 ("pw" and "pW") give the same key.
func DecryptCryptcat(data []byte, password string) (*CryptcatResult, error) {
	key, err := CryptcatKey(password)
	if err != nil {
		return nil, err
	}
	c, err := twofish.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("cryptcat key: %w", err)
	}
	size, hdr, ok := cryptcatHeader(c, data)
	if !ok {
		return nil, ErrCryptcatKey
	}
	res := &CryptcatResult{Header: hdr}
	out := make([]byte, 0, len(data))
	buf := make([]byte, 32+MaxCryptcatMessage)
	for pos := 0; pos < len(data); {
		if pos > 0 {
			if size, _, ok = cryptcatHeader(c, data[pos:]); !ok {
				// resynchronise: the next offset (within one message's reach) where a header decrypts
				next, end := -1, min(len(data)-32, pos+32+MaxCryptcatMessage)
				for p := pos + 1; p <= end; p++ {
					if s, _, ok := cryptcatHeader(c, data[p:]); ok {
						next, size = p, s
						break
					}
				}
				if next < 0 {
					res.Skipped += len(data) - pos
					res.Resyncs++
					break
				}
				res.Skipped += next - pos
				res.Resyncs++
				pos = next
			}
		}
		msg := data[pos:min(len(data), pos+32+size)]
		dst := buf[:len(msg)]
		if len(msg) < 32+size {
			res.Truncated = 32 + size - len(msg)
			usable := len(msg) / 16 * 16
			if (32+size)%16 != 0 && usable == (32+size)/16*16 {
				usable -= 16 // the stolen block: needs the tail that did not arrive
			}
			decryptCBC(c, dst[:usable], msg[:usable])
			if usable > 32 {
				out = append(out, dst[32:usable]...)
			}
			res.Messages++
			break
		}
		decryptCBCCTS(c, dst, msg)
		out = append(out, dst[32:]...)
		res.Messages++
		res.Largest = max(res.Largest, size)
		pos += len(msg)
	}
	res.Data = out
	return res, nil
}

// CryptcatCandidates returns the passwords worth trying on a cryptcat stream from the lines Hints found (each
// word of each line, also without surrounding punctuation and quotes), then cryptcat's default; at most
// maxCryptcatCandidates, without repeats. For each it gives the line it came from ("" for the default).
func CryptcatCandidates(hints []string) (passwords, lines []string) {
	seen := map[string]bool{}
	add := func(p, line string) {
		if p == "" || seen[p] || len(passwords) >= maxCryptcatCandidates || len(p) > 200 {
			return
		}
		seen[p] = true
		passwords = append(passwords, p)
		lines = append(lines, line)
	}
	for _, h := range hints {
		for _, w := range strings.Fields(h) {
			add(w, h)
			add(strings.Trim(w, `"'.,;:!?()[]{}<>`+"`"), h)
		}
	}
	add(CryptcatDefaultKey, "")
	return passwords, lines
}

// hintsName says whether a hint line names word (case-insensitive).
func hintsName(hints []string, word string) bool {
	for _, h := range hints {
		if strings.Contains(strings.ToLower(h), word) {
			return true
		}
	}
	return false
}

// CryptcatFits says whether password decrypts the first message header of data.
func CryptcatFits(data []byte, password string) bool {
	key, err := CryptcatKey(password)
	if err != nil {
		return false
	}
	c, err := twofish.NewCipher(key)
	if err != nil {
		return false
	}
	_, _, ok := cryptcatHeader(c, data)
	return ok
}

// describe is the note that says what DecryptCryptcat did.
func (c *CryptcatResult) describe(in int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "decrypted as cryptcat (Twofish-256, CBC with ciphertext stealing, one message per netcat write): %d bytes in, %d message(s) of at most %d bytes, %d bytes out, first header %q",
		in, c.Messages, c.Largest, len(c.Data), c.Header)
	if c.Resyncs > 0 {
		fmt.Fprintf(&b, "; %d byte(s) without a valid header skipped in %d place(s) (gaps in the capture?)", c.Skipped, c.Resyncs)
	}
	if c.Truncated > 0 {
		fmt.Fprintf(&b, "; the stream ends %d byte(s) short of its last message (its whole blocks kept)", c.Truncated)
	}
	return b.String()
}

// StreamCryptcat is Stream for bytes that may have gone through cryptcat. With a password the data is decrypted
// (ErrCryptcatKey when the password does not fit) and the plaintext given to Stream. Without one, Stream runs on
// the data as it is; when it finds them encrypted, the words of the lines Hints finds in context (the hosts'
// other conversations) and cryptcat's default password are tried (also on raw bytes of no known type too short
// to be called encrypted), and the first that decrypts the first message header (an unambiguous test) is used:
// the notes say so and that the key is a guess. The notes of the
// first pass (why the bytes looked encrypted) are kept after the decryption's.
func StreamCryptcat(data, context []byte, password string, limit int64) (*Result, error) {
	if password != "" {
		c, err := DecryptCryptcat(data, password)
		if err != nil {
			return nil, fmt.Errorf("cryptcat key %q: %w", password, err)
		}
		r, err := Stream(c.Data, context, limit)
		if err != nil {
			return nil, err
		}
		r.Notes = append([]string{c.describe(len(data)), fmt.Sprintf("cryptcat key %q: given", password)}, r.Notes...)
		return r, nil
	}
	r, err := Stream(data, context, limit)
	if err != nil {
		return r, err
	}
	// a short stream (a chat through cryptcat) is too short to be called encrypted: any raw bytes without a
	// type are tried, the header test being what decides
	if !r.Encrypted && (r.Encoding != Raw || r.Compression != "" || r.MIME != "application/octet-stream" || len(r.Carved) > 0 || len(data) < 32) {
		return r, nil
	}
	hints := Hints(context)
	cands, lines := CryptcatCandidates(hints)
	for i, p := range cands {
		if !CryptcatFits(data, p) {
			continue
		}
		c, err := DecryptCryptcat(data, p)
		if err != nil {
			return nil, err
		}
		r2, err := Stream(c.Data, context, limit)
		if err != nil {
			return nil, err
		}
		from := fmt.Sprintf("a word of the hosts' other conversations: %q", lines[i])
		if lines[i] == "" {
			from = "cryptcat's default password"
		}
		what := r2.MIME
		if r2.MIME == "application/octet-stream" {
			what += ", no file signature"
		}
		notes := []string{
			fmt.Sprintf("decrypted with cryptcat key %q (a guess: %s; it decrypts the message headers, which a wrong key cannot): %s", p, from, what),
			c.describe(len(data)),
		}
		for _, n := range r.Notes {
			if !strings.HasPrefix(n, "the hosts' other conversations say") {
				notes = append(notes, "before decryption: "+n)
			}
		}
		r2.Notes = append(notes, r2.Notes...)
		return r2, nil
	}
	if r.Encrypted || hintsName(hints, "cryptcat") {
		r.note("cryptcat: none of %d candidate passwords (the words of the lines above and cryptcat's default %q) decrypts a message header", len(cands), CryptcatDefaultKey)
	}
	return r, nil
}
