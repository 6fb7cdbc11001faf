package decode

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image/jpeg"
	"math/rand/v2"
	"net/netip"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/crypto/twofish"

	"github.com/pcapframe/pcapframe"
	"github.com/pcapframe/pcapframe/stream"
)

func ccUnhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestTwofishVectors checks golang.org/x/crypto/twofish against the Twofish paper's published ECB vectors
// (ecb_tbl.txt, the first two steps of the 128- and 256-bit tables, and the full-key 256-bit vector), then the
// mode cryptcat uses over them: CBC with a zero IV, and farm9's ciphertext stealing. With the zero 256-bit key
// E(0) = 57FF..., E(57FF...) = D43B...; so in CBC 57FF...|D43B... decrypts to 32 zero bytes, and with stealing
// the 16+r zero bytes encrypt to E(0^r||C0[r:] XOR ... ) = E(C0) = D43B... followed by the first r bytes of C0.
func TestTwofishVectors(t *testing.T) {
	for _, v := range []struct{ key, pt, ct string }{
		{"00000000000000000000000000000000", "00000000000000000000000000000000", "9F589F5CF6122C32B6BFEC2F2AE8C35A"},
		{"00000000000000000000000000000000", "9F589F5CF6122C32B6BFEC2F2AE8C35A", "D491DB16E7B1C39E86CB086B789F5419"},
		{"0000000000000000000000000000000000000000000000000000000000000000", "00000000000000000000000000000000", "57FF739D4DC92C1BD7FC01700CC8216F"},
		{"0000000000000000000000000000000000000000000000000000000000000000", "57FF739D4DC92C1BD7FC01700CC8216F", "D43BB7556EA32E46F2A282B7D45B4E0D"},
		{"0123456789ABCDEFFEDCBA987654321000112233445566778899AABBCCDDEEFF", "00000000000000000000000000000000", "37527BE0052334B89F0CFCCAE87CFA20"},
	} {
		c, err := twofish.NewCipher(ccUnhex(t, v.key))
		if err != nil {
			t.Fatal(err)
		}
		got := make([]byte, 16)
		c.Encrypt(got, ccUnhex(t, v.pt))
		if !bytes.Equal(got, ccUnhex(t, v.ct)) {
			t.Errorf("E_%s(%s) = %X, want %s", v.key, v.pt, got, v.ct)
		}
		c.Decrypt(got, ccUnhex(t, v.ct))
		if !bytes.Equal(got, ccUnhex(t, v.pt)) {
			t.Errorf("D_%s(%s) = %X, want %s", v.key, v.ct, got, v.pt)
		}
	}
	c, _ := twofish.NewCipher(make([]byte, 32))
	c0, c1 := ccUnhex(t, "57FF739D4DC92C1BD7FC01700CC8216F"), ccUnhex(t, "D43BB7556EA32E46F2A282B7D45B4E0D")
	dst := make([]byte, 32)
	decryptCBCCTS(c, dst, append(append([]byte{}, c0...), c1...))
	if !bytes.Equal(dst, make([]byte, 32)) {
		t.Errorf("CBC: %X, want zeros", dst)
	}
	for r := 1; r < 16; r++ {
		src := append(append([]byte{}, c1...), c0[:r]...)
		dst := make([]byte, 16+r)
		decryptCBCCTS(c, dst, src)
		if !bytes.Equal(dst, make([]byte, 16+r)) {
			t.Errorf("stealing, %d-byte tail: %X, want zeros", r, dst)
		}
	}
}

// TestCryptcatKey checks the key derivation against values worked by hand from farm9's generateKey: the
// password repeated to 32 characters, 0-9 and a-f kept, any other byte replaced by the hex digit of its signed
// value modulo 16 (C truncates towards zero: 0xff is -1, giving '0'-1 = '/').
func TestCryptcatKey(t *testing.T) {
	for _, c := range []struct{ pw, key string }{
		// P=0x50→0 @=0x40→0 s=0x73→3 s→3 a w=0x77→7 o=0x6f→f r=0x72→2 d a y=0x79→9 a
		{"P@ssawordaya", "0033a7f2da9a0033a7f2da9a0033a7f2"},
		// m=0x6d→d e t=0x74→4 a l=0x6c→c l→c i=0x69→9 c a
		{"metallica", "de4acc9cade4acc9cade4acc9cade4ac"},
		{"0123456789abcdef", "0123456789abcdef0123456789abcdef"},
		// A=0x41→1 F=0x46→6 Z=0x5a→a space=0x20→0
		{"AF Z", "160a160a160a160a160a160a160a160a"},
		// 0xff = -1 → '/' ; 0xf5 = -11 → '%' ; 0x80 = -128 → 0 → '0'
		{"\xff\xf5\x80", "/%0/%0/%0/%0/%0/%0/%0/%0/%0/%0/%"},
	} {
		k, err := CryptcatKey(c.pw)
		if err != nil || string(k) != c.key {
			t.Errorf("CryptcatKey(%q) = %q, %v; want %q", c.pw, k, err, c.key)
		}
	}
	if _, err := CryptcatKey(""); err == nil {
		t.Error("empty password: no error")
	}
}

// followClient returns the bytes the client of the TCP conversation m sent in capture (followed by the stream
// package as pcapframe follow does) and the payload of the other packets between the two hosts when m names
// them (the notebook's 5050 chat), as pcapframe decode --flow gathers them.
func followClient(t testing.TB, capture string, m stream.Match) (data, talk []byte) {
	t.Helper()
	a, b := m.A, m.B
	fo := stream.NewFollower(m, stream.Options{}, func(stream.Header) (func(*stream.Chunk) error, error) {
		return func(c *stream.Chunk) error {
			if c.Data == nil {
				return fmt.Errorf("a gap of %d bytes", c.Gap)
			}
			if c.Side == stream.Client {
				data = append(data, c.Data...)
			}
			return nil
		}, nil
	})
	for p, err := range pcapframe.Packets(capture) {
		if err != nil {
			t.Fatal(err)
		}
		if err := fo.Add(p); err != nil {
			t.Fatal(err)
		}
		if a.IsValid() && (p.Src == a.Addr() && p.Dst == b.Addr() || p.Src == b.Addr() && p.Dst == a.Addr()) &&
			!(p.SPort == a.Port() && p.DPort == b.Port() || p.SPort == b.Port() && p.DPort == a.Port()) {
			talk = append(append(talk, p.Payload()...), '\n')
		}
	}
	if found, _, err := fo.Close(); err != nil || !found {
		t.Fatalf("%s: the flow: found %v, %v", capture, found, err)
	}
	return data, talk
}

// notebookFlow returns the bytes 192.168.1.6:65253 sent to 192.168.1.100:7070 in the notebook's capture and the
// payload of the other packets between the two hosts (the 5050 chat).
func notebookFlow(t testing.TB) (data, talk []byte) {
	return followClient(t, pcapPath(t, "seed__find_the_image.pcap"), stream.Match{Proto: "tcp",
		A: netip.MustParseAddrPort("192.168.1.6:65253"), B: netip.MustParseAddrPort("192.168.1.100:7070")})
}

// TestCryptcatNotebook decrypts the notebook's 7070 transfer with the password of the 5050 chat. The carved
// ciphertext is checked against tshark's (tshark -qz follow,tcp,raw,5: 117382 bytes, sha256 6c1e79...); the
// plaintext must be a whole JPEG that Go's image/jpeg decodes to the end (1600x1200 said by its SOF0 header and
// file(1)), ending with the EOI marker: the last message is 2214 bytes of data, not a multiple of 16, so the
// ciphertext stealing of the tail is checked too. Only after that was its sha256 written here. Without the
// password, StreamCryptcat finds it in the chat and says the key is a guess.
func TestCryptcatNotebook(t *testing.T) {
	data, talk := notebookFlow(t)
	if sum := sha256.Sum256(data); len(data) != 117382 || hex.EncodeToString(sum[:]) != "6c1e7977cc7b51bde09edbd2f0dc77823cf2ee0aded91932ed07b2c3f0a6b2f2" {
		t.Fatalf("carved %d bytes, sha256 %x: not tshark's", len(data), sum)
	}
	c, err := DecryptCryptcat(data, "P@ssawordaya")
	if err != nil {
		t.Fatal(err)
	}
	// 14 messages of 8192 bytes and one of 2214, each with its 32-byte header: 15*32 + 14*8192 + 2214 = 117382
	if c.Messages != 15 || c.Largest != 8192 || len(c.Data) != 14*8192+2214 || c.Skipped != 0 || c.Truncated != 0 {
		t.Errorf("messages %d, largest %d, %d bytes, skipped %d, truncated %d", c.Messages, c.Largest, len(c.Data), c.Skipped, c.Truncated)
	}
	img, err := jpeg.Decode(bytes.NewReader(c.Data))
	if err != nil {
		t.Fatalf("not a JPEG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 1600 || b.Dy() != 1200 {
		t.Errorf("JPEG of %v, want 1600x1200", b)
	}
	if !bytes.HasSuffix(c.Data, []byte{0xff, 0xd9}) {
		t.Errorf("does not end with EOI: % x", c.Data[len(c.Data)-4:])
	}
	const want = "3db75fee4b3e9764c6af1e21e28e9a3dd43256d35b63bf9ed924f767912f460b"
	if sum := sha256.Sum256(c.Data); hex.EncodeToString(sum[:]) != want {
		t.Errorf("sha256 %x, want %s", sum, want)
	}

	// the same, from the chat alone
	r, err := StreamCryptcat(data, talk, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(r.Data); r.MIME != "image/jpeg" || r.Encrypted || hex.EncodeToString(sum[:]) != want {
		t.Errorf("guessed: %s, encrypted %v, sha256 %x", r.MIME, r.Encrypted, sum)
	}
	all := strings.Join(r.Notes, "\n")
	for _, w := range []string{`decrypted with cryptcat key "P@ssawordaya" (a guess`, `"let it be P@ssawordaya"`, ": image/jpeg", "15 message(s)",
		"before decryption: no file signature", `the hosts' other conversations say: "ok we can use cryptcat"`} {
		if !strings.Contains(all, w) {
			t.Errorf("notes lack %q:\n%s", w, all)
		}
	}
	// with the key given
	r, err = StreamCryptcat(data, nil, "P@ssawordaya", 0)
	if err != nil || r.MIME != "image/jpeg" || !strings.Contains(strings.Join(r.Notes, "\n"), `cryptcat key "P@ssawordaya": given`) {
		t.Errorf("given key: %v %+v", err, r)
	}
	// the reverse check: re-encrypting the plaintext with the captured headers gives back the captured bytes
	var again []byte
	for pos, i := 0, 0; pos < len(c.Data); i++ {
		n := min(8192, len(c.Data)-pos)
		hdr := make([]byte, 16)
		cb, _ := twofish.NewCipher([]byte("0033a7f2da9a0033a7f2da9a0033a7f2"))
		cb.Decrypt(hdr, data[i*(8192+32):][:16])
		again = append(again, encryptCryptcatMessage(t, "P@ssawordaya", hdr, c.Data[pos:pos+n])...)
		pos += n
	}
	if !bytes.Equal(again, data) {
		t.Error("re-encrypting the plaintext does not give the captured bytes back")
	}
}

// TestCryptcatLoopback decrypts a capture of farm9's own cryptcat code (farm9crypt.cpp and twofish2.cpp of
// cryptcat for Windows 1.2, built with g++ by testdata/cryptcat/make-loopback.sh, which stands in for netcat)
// sending a 30000-byte file over loopback TCP under the key "S3cret-Key!" in 15 writes of 1 to 8192 bytes:
// messages shorter than a block (stealing from the header), of exactly one and two blocks, and partial tails.
// The file is byte i = (i*131 + (i>>8)*7) mod 256, computed here; farm9's receiver decrypted it back when the
// capture was made. tshark counts 30480 bytes from the client (15 headers of 32 bytes).
func TestCryptcatLoopback(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	data, _ := followClient(t, filepath.Join(filepath.Dir(file), "testdata", "cryptcat", "loopback.pcap"), stream.Match{Proto: "tcp", Stream: 0})
	if len(data) != 30480 {
		t.Fatalf("the client sent %d bytes, tshark says 30480", len(data))
	}
	want := make([]byte, 30000)
	for i := range want {
		want[i] = byte(i*131 + (i>>8)*7)
	}
	c, err := DecryptCryptcat(data, "S3cret-Key!")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(c.Data, want) || c.Messages != 15 || c.Largest != 8192 || c.Skipped != 0 || c.Truncated != 0 {
		t.Errorf("%d bytes (equal %v), %d messages, largest %d, skipped %d, truncated %d", len(c.Data), bytes.Equal(c.Data, want),
			c.Messages, c.Largest, c.Skipped, c.Truncated)
	}
	// "S3cret-Key!" and "S3cret-KEY!" differ in 'e'/'E' (0x65 kept as 'e', 0x45 becomes '5'): not the same key
	if _, err := DecryptCryptcat(data, "S3cret-KEY!"); !errors.Is(err, ErrCryptcatKey) {
		t.Errorf("S3cret-KEY!: %v", err)
	}
	r, err := StreamCryptcat(data, nil, "S3cret-Key!", 0)
	if err != nil || !bytes.Equal(r.Data, want) {
		t.Errorf("StreamCryptcat: %v", err)
	}
}

// encryptCryptcatMessage is farm9crypt_write for one message, written from the C source independently of the
// decrypter: CBC with a zero IV over header, header, data, and for a last partial block E(Pn||0 XOR Cn-1)
// followed by the first bytes of Cn-1.
func encryptCryptcatMessage(t testing.TB, password string, header, data []byte) []byte {
	t.Helper()
	key, err := CryptcatKey(password)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := twofish.NewCipher(key)
	p := append(append(append([]byte{}, header[:16]...), header[:16]...), data...)
	out := make([]byte, 0, len(p))
	var prev [16]byte
	for len(p) >= 16 {
		var x [16]byte
		for i := range x {
			x[i] = p[i] ^ prev[i]
		}
		c.Encrypt(prev[:], x[:])
		out = append(out, prev[:]...)
		p = p[16:]
	}
	if len(p) > 0 {
		var x [16]byte
		copy(x[:], p)
		for i := range x {
			x[i] ^= prev[i]
		}
		var cn [16]byte
		c.Encrypt(cn[:], x[:])
		last := out[len(out)-16:]
		stolen := append([]byte{}, last[:len(p)]...)
		copy(last, cn[:])
		out = append(out, stolen...)
	}
	return out
}

// cryptcatStream encrypts data as cryptcat would send it, in writes of at most chunk bytes, with rng for rand().
func cryptcatStream(t testing.TB, password string, data []byte, chunk int, rng *rand.Rand) []byte {
	var out []byte
	for len(data) > 0 {
		n := min(chunk, len(data))
		if rng.IntN(3) == 0 {
			n = 1 + rng.IntN(n) // netcat writes what read returned: any size
		}
		hdr := []byte(fmt.Sprintf("%d %d", n, rng.Int32()))
		hdr = append(hdr, 'x')
		for len(hdr) < 16 {
			hdr = append(hdr, byte(rng.IntN(256))) // the uninitialised rest of tempbuf
		}
		out = append(out, encryptCryptcatMessage(t, password, hdr, data[:n])...)
		data = data[n:]
	}
	return out
}

// TestCryptcatRoundTrip decrypts streams of every small length and odd message sizes (1 to 8192 bytes, so
// messages shorter than a block, where stealing takes from the header) built by the independent encrypter above.
func TestCryptcatRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 9))
	for _, n := range []int{1, 2, 15, 16, 17, 31, 32, 33, 100, 8191, 8192, 8193, 20000, 65537} {
		plain := make([]byte, n)
		for i := range plain {
			plain[i] = byte(rng.IntN(256))
		}
		for _, chunk := range []int{1, 5, 16, 100, 8192} {
			if n/chunk > 5000 {
				continue
			}
			enc := cryptcatStream(t, "s3cr3t!", plain, chunk, rng)
			if len(enc) <= len(plain) {
				t.Fatalf("%d/%d: %d bytes encrypted", n, chunk, len(enc))
			}
			c, err := DecryptCryptcat(enc, "s3cr3t!")
			if err != nil {
				t.Fatalf("%d bytes in writes of %d: %v", n, chunk, err)
			}
			if !bytes.Equal(c.Data, plain) || c.Truncated != 0 || c.Skipped != 0 {
				t.Errorf("%d bytes in writes of %d: got %d bytes back (equal %v), truncated %d, skipped %d", n, chunk, len(c.Data), bytes.Equal(c.Data, plain), c.Truncated, c.Skipped)
			}
		}
	}
}

// TestCryptcatHostile feeds the decrypter what a capture can hold: a wrong key, nothing, less than a header,
// random bytes, a stream cut anywhere (inside a header, inside a message, inside the stolen tail), garbage
// between messages (resynchronised), and a header announcing more than MaxCryptcatMessage. Each gives an error or
// a counted note, never a panic, and never more bytes out than in.
func TestCryptcatHostile(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	plain := make([]byte, 3000)
	for i := range plain {
		plain[i] = byte(i * 7)
	}
	enc := cryptcatStream(t, "pw", plain, 1000, rand.New(rand.NewPCG(1, 1)))
	random := make([]byte, 5000)
	for i := range random {
		random[i] = byte(rng.IntN(256))
	}
	for _, c := range []struct {
		name, pw string
		data     []byte
		err      error
	}{
		{"wrong key", "px", enc, ErrCryptcatKey},
		{"default key", CryptcatDefaultKey, enc, ErrCryptcatKey},
		{"empty", "pw", nil, ErrCryptcatKey},
		{"31 bytes", "pw", enc[:31], ErrCryptcatKey},
		{"random", "pw", random, ErrCryptcatKey},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := DecryptCryptcat(c.data, c.pw); !errors.Is(err, c.err) {
				t.Errorf("error %v, want %v", err, c.err)
			}
		})
	}
	// 'W' (0x57) and 'w' (0x77) are both 7 modulo 16: cryptcat gives "pW" the key of "pw"
	if r, err := DecryptCryptcat(enc, "pW"); err != nil || !bytes.Equal(r.Data, plain) {
		t.Errorf("pW: %v", err)
	}
	if _, err := DecryptCryptcat(enc, ""); err == nil {
		t.Error("empty password: no error")
	}
	// cut anywhere: the output is a prefix of the plaintext; a cut inside a message is counted, one between
	// messages is not
	bounds := map[int]bool{}
	for pos := 0; pos < len(enc); {
		pos += 32 + firstSize(t, enc[pos:], "pw")
		bounds[pos] = true
	}
	for cut := 32; cut <= len(enc); cut++ {
		r, err := DecryptCryptcat(enc[:cut], "pw")
		if err != nil {
			t.Fatalf("cut at %d: %v", cut, err)
		}
		if !bytes.HasPrefix(plain, r.Data) {
			t.Fatalf("cut at %d: %d bytes out, not a prefix of the plaintext", cut, len(r.Data))
		}
		if said := r.Truncated > 0 || r.Skipped > 0; said == bounds[cut] {
			t.Fatalf("cut at %d (between messages: %v): truncated %d, skipped %d", cut, bounds[cut], r.Truncated, r.Skipped)
		}
	}
	// garbage between messages: skipped and counted, the rest decrypted
	first, err := DecryptCryptcat(enc, "pw")
	if err != nil {
		t.Fatal(err)
	}
	m0 := 32 + firstSize(t, enc, "pw")
	bad := append(append(append([]byte{}, enc[:m0]...), random[:777]...), enc[m0:]...)
	r, err := DecryptCryptcat(bad, "pw")
	if err != nil || !bytes.Equal(r.Data, first.Data) || r.Skipped != 777 || r.Resyncs != 1 {
		t.Errorf("garbage: %v, equal %v, skipped %d in %d", err, r != nil && bytes.Equal(r.Data, first.Data), r.Skipped, r.Resyncs)
	}
	// garbage at the end, longer than a message: dropped and counted
	r, err = DecryptCryptcat(append(append([]byte{}, enc...), random...), "pw")
	if err != nil || !bytes.Equal(r.Data, plain) || r.Skipped != len(random) {
		t.Errorf("trailing garbage: %v, skipped %d", err, r.Skipped)
	}
	// a header announcing too much is not a header
	huge := encryptCryptcatMessage(t, "pw", []byte("99999 1x\x00\x00\x00\x00\x00\x00\x00\x00"), []byte("abc"))
	if _, err := DecryptCryptcat(huge, "pw"); !errors.Is(err, ErrCryptcatKey) {
		t.Errorf("size 99999: %v", err)
	}
	// StreamCryptcat: a wrong given key is an error; random bytes with a chat that names no key are said so
	if _, err := StreamCryptcat(enc, nil, "nope", 0); !errors.Is(err, ErrCryptcatKey) {
		t.Errorf("wrong given key: %v", err)
	}
	big := make([]byte, 4096)
	for i := range big {
		big[i] = byte(rng.IntN(256))
	}
	res, err := StreamCryptcat(big, []byte("use cryptcat\nthe password?\nhunter2\n"), "", 0)
	if err != nil || !res.Encrypted || !strings.Contains(strings.Join(res.Notes, "\n"), "cryptcat: none of") {
		t.Errorf("random with a chat: %v %+v", err, res)
	}
	// a stream encrypted with cryptcat's default password is found without any chat
	def := cryptcatStream(t, CryptcatDefaultKey, bytes.Repeat(random, 2), 8192, rng)
	res, err = StreamCryptcat(def, nil, "", 0)
	if err != nil || !bytes.Equal(res.Data, bytes.Repeat(random, 2)) || !strings.Contains(strings.Join(res.Notes, "\n"), "cryptcat's default password") {
		t.Errorf("default password: %v %v", err, res.Notes)
	}
}

// TestCryptcatShortChat: a chat typed through cryptcat (a few lines, each a message, far below the length at
// which Stream calls bytes encrypted) is decrypted with the key the cleartext talk gives, to text; bytes of no
// type that no candidate decrypts get no cryptcat note unless the talk names cryptcat.
func TestCryptcatShortChat(t *testing.T) {
	lines := []string{"hi\n", "got the files?\n", "yes, sending them tonight over 7070\n", "ok\n"}
	var enc, want []byte
	for i, l := range lines {
		hdr := append([]byte(fmt.Sprintf("%d %dx", len(l), 1000+i)), make([]byte, 16)...)
		enc = append(enc, encryptCryptcatMessage(t, "tiger77", hdr, []byte(l))...)
		want = append(want, l...)
	}
	r, err := StreamCryptcat(enc, []byte("the key?\ntiger77\n"), "", 0)
	if err != nil || !bytes.Equal(r.Data, want) || !strings.HasPrefix(r.MIME, "text/plain") {
		t.Fatalf("%v: %q %s", err, r.Data, r.MIME)
	}
	if !strings.Contains(r.Notes[0], `decrypted with cryptcat key "tiger77" (a guess`) {
		t.Errorf("notes: %q", r.Notes)
	}
	r, err = StreamCryptcat(enc, []byte("nothing here\n"), "", 0)
	if err != nil || !bytes.Equal(r.Data, enc) || strings.Contains(strings.Join(r.Notes, "\n"), "cryptcat") {
		t.Errorf("no key in the talk: %v %q", err, r.Notes)
	}
	r, err = StreamCryptcat(enc, []byte("use cryptcat\n"), "", 0)
	if err != nil || !strings.Contains(strings.Join(r.Notes, "\n"), "cryptcat: none of") {
		t.Errorf("cryptcat named, no key: %v %q", err, r.Notes)
	}
}

// firstSize is the data size of the first message of enc.
func firstSize(t testing.TB, enc []byte, pw string) int {
	key, _ := CryptcatKey(pw)
	c, _ := twofish.NewCipher(key)
	n, _, ok := cryptcatHeader(c, enc)
	if !ok {
		t.Fatal("no header")
	}
	return n
}

// FuzzDecryptCryptcat: any bytes and password decrypt without a panic, to at most as many bytes as came in; and
// StreamCryptcat, with the password as the answer of a chat, neither panics nor returns more than its limit.
func FuzzDecryptCryptcat(f *testing.F) {
	rng := rand.New(rand.NewPCG(5, 6))
	f.Add(cryptcatStream(f, "pw", []byte("hello, world: a line of text\n"), 8, rng), "pw")
	f.Add(cryptcatStream(f, "pw", bytes.Repeat([]byte{1, 2, 3}, 100), 50, rng), "pw")
	f.Add([]byte("0123456789abcdef0123456789abcdef0123"), "x")
	f.Fuzz(func(t *testing.T, data []byte, pw string) {
		if r, err := StreamCryptcat(data, []byte("cryptcat key?\n"+pw+"\n"), "", 1<<20); err == nil && len(r.Data) > 1<<20 {
			t.Fatalf("StreamCryptcat: %d bytes out, limit %d", len(r.Data), 1<<20)
		}
		r, err := DecryptCryptcat(data, pw)
		if err != nil {
			return
		}
		if len(r.Data) > len(data) || r.Messages < 1 || r.Skipped > len(data) {
			t.Fatalf("%d bytes in, %d out, %d messages, %d skipped", len(data), len(r.Data), r.Messages, r.Skipped)
		}
	})
}

// BenchmarkDecryptCryptcat measures decryption of the notebook's transfer (117 KB).
func BenchmarkDecryptCryptcat(b *testing.B) {
	data, _ := notebookFlow(b)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := DecryptCryptcat(data, "P@ssawordaya"); err != nil {
			b.Fatal(err)
		}
	}
}
