package quic

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"testing"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	s = strings.Join(strings.Fields(s), "")
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex: %v", err)
	}
	return b
}

// readHexFile reads a hex dump whose lines starting with '#' are comments.
func readHexFile(t testing.TB, path string) []byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("test vector missing: %v", err)
	}
	var sb strings.Builder
	for _, line := range strings.Split(string(raw), "\n") {
		if !strings.HasPrefix(line, "#") {
			sb.WriteString(line)
		}
	}
	return unhex(t, sb.String())
}

// The connection id of RFC 9001 Appendix A and RFC 9369 Appendix A.
const rfcDCID = "8394c8f03e515708"

// RFC 9001 A.3 and RFC 9369 A.3: the server Initial packets and their unprotected payload (an ACK frame and a
// CRYPTO frame holding the ServerHello).
const serverPayload = "02000000000600405a020000560303eefce7f7b37ba1d1632e96677825ddf73988cfc79825df566dc5430b9a045a1200" +
	"130100002e00330024001d00209d3c940d89690b84d08a60993c144eca684d1081287c834d5311bcf32bb9da1a002b00020304"

var serverPackets = []struct {
	name    string
	version uint32
	packet  string
}{
	{"RFC 9001 A.3 (v1)", Version1, "cf000000010008f067a5502a4262b5004075c0d95a482cd0991cd25b0aac406a5816b6394100f37a1c69797554780bb3" +
		"8cc5a99f5ede4cf73c3ec2493a1839b3dbcba3f6ea46c5b7684df3548e7ddeb9c3bf9c73cc3f3bded74b562bfb19fb84" +
		"022f8ef4cdd93795d77d06edbb7aaf2f58891850abbdca3d20398c276456cbc42158407dd074ee"},
	{"RFC 9369 A.3 (v2)", Version2, "dc6b3343cf0008f067a5502a4262b5004075d92faaf16f05d8a4398c47089698baeea26b91eb761d9b89237bbf872630" +
		"17915358230035f7fd3945d88965cf17f9af6e16886c61bfc703106fbaf3cb4cfa52382dd16a393e42757507698075b2" +
		"c984c707f0a0812d8cd5a6881eaf21ceda98f4bd23f6fe1a3e2c43edd9ce7ca84bed8521e2e140"},
}

func TestServerInitialRFCVectors(t *testing.T) {
	for _, tc := range serverPackets {
		t.Run(tc.name, func(t *testing.T) {
			pkt := unhex(t, tc.packet)
			orig := bytes.Clone(pkt)
			h, err := ParseLong(pkt)
			if err != nil {
				t.Fatalf("ParseLong: %v", err)
			}
			if h.Version != tc.version || h.Type != Initial || h.End != len(pkt) || hex.EncodeToString(h.SCID) != "f067a5502a4262b5" {
				t.Fatalf("header = %+v", h)
			}
			k, err := InitialKeys(tc.version, unhex(t, rfcDCID), true)
			if err != nil {
				t.Fatal(err)
			}
			_, payload, pn, err := k.Open(nil, pkt, &h, -1)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if pn != 1 {
				t.Errorf("packet number = %d, want 1", pn)
			}
			if got := hex.EncodeToString(payload); got != serverPayload {
				t.Errorf("payload\n got %s\nwant %s", got, serverPayload)
			}
			if !bytes.Equal(pkt, orig) {
				t.Error("Open modified its input")
			}
			var crypto []byte
			if err := Frames(payload, func(off uint64, d []byte) error {
				if off != 0 {
					t.Errorf("crypto offset %d", off)
				}
				crypto = append(crypto, d...)
				return nil
			}, nil); err != nil {
				t.Fatalf("Frames: %v", err)
			}
			if len(crypto) != 0x5a || crypto[0] != 2 {
				t.Errorf("crypto data: %d bytes, type %d; want a 90-byte ServerHello", len(crypto), crypto[0])
			}
		})
	}
}

// TestClientInitialRFC is the client Initial packet of RFC 9001 A.2 (version 1) and of RFC 9369 A.2 (version 2):
// the same ClientHello under each version's keys; the ivs are those of the RFCs' A.1.
func TestClientInitialRFC(t *testing.T) {
	for _, tc := range []struct {
		file    string
		version uint32
		iv      string
	}{
		{"testdata/rfc9001-a2-client-initial.hex", Version1, "fa044b2f42a3fd3b46fb255c"},
		{"testdata/rfc9369-a2-client-initial.hex", Version2, "91f73e2351d8fa91660e909f"},
	} {
		t.Run(tc.file, func(t *testing.T) { testClientInitial(t, tc.file, tc.version, tc.iv) })
	}
}

func testClientInitial(t *testing.T, file string, version uint32, iv string) {
	pkt := readHexFile(t, file)
	h, err := ParseLong(pkt)
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(h.DCID) != rfcDCID || len(h.SCID) != 0 || len(h.Token) != 0 || h.End != 1200 || h.Version != version || h.Type != Initial {
		t.Fatalf("header = %+v", h)
	}
	k, err := InitialKeys(version, h.DCID, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(k.iv[:]); got != iv {
		t.Errorf("client iv = %s, want %s", got, iv)
	}
	_, payload, pn, err := k.Open(nil, pkt, &h, -1)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if pn != 2 {
		t.Errorf("packet number = %d, want 2", pn)
	}
	// RFC 9001 A.2: the unprotected payload starts with a CRYPTO frame of 241 bytes holding the ClientHello.
	const start = "060040f1010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e868"
	if got := hex.EncodeToString(payload[:32]); got != start {
		t.Errorf("payload starts %s, want %s", got, start)
	}
	n := 0
	if err := Frames(payload, func(off uint64, d []byte) error { n += len(d); return nil }, nil); err != nil {
		t.Fatal(err)
	}
	if n != 241 {
		t.Errorf("crypto bytes = %d, want 241", n)
	}
	// Wrong keys (the server's) must fail authentication, not return garbage.
	ks, _ := InitialKeys(version, h.DCID, true)
	if _, _, _, err := ks.Open(nil, pkt, &h, -1); !errors.Is(err, ErrDecrypt) {
		t.Errorf("open with server keys: %v, want ErrDecrypt", err)
	}
}

func TestDecodePacketNumber(t *testing.T) {
	// RFC 9000 A.3's example: largest 0xa82f30ea, truncated 0x9b32 in 16 bits -> 0xa82f9b32.
	if got := DecodePacketNumber(0xa82f30ea, 0x9b32, 2); got != 0xa82f9b32 {
		t.Errorf("got %#x", got)
	}
	for _, tc := range []struct {
		largest int64
		trunc   uint64
		n       int
		want    int64
	}{{-1, 0, 1, 0}, {-1, 2, 1, 2}, {255, 1, 1, 257}, {300, 0x2c, 1, 300}} {
		if got := DecodePacketNumber(tc.largest, tc.trunc, tc.n); got != tc.want {
			t.Errorf("DecodePacketNumber(%d, %#x, %d) = %d, want %d", tc.largest, tc.trunc, tc.n, got, tc.want)
		}
	}
}

func TestParseLongBad(t *testing.T) {
	for _, tc := range []struct {
		name string
		pkt  string
		want error
	}{
		{"short", "c0000000", ErrShort},
		{"short form", "40000000010000", ErrNotLongForm},
		{"cid too long", "c00000000115" + strings.Repeat("00", 30), ErrCIDLength},
		{"unknown version", "c0deadbeef0000" + "00", ErrVersion},
		{"version negotiation", "c0000000000000" + "00000001", ErrVersion},
		{"length past end", "c0000000010000" + "00" + "4400" + "00", ErrLength},
		{"token past end", "c0000000010000" + "10" + "00", ErrLength},
	} {
		if _, err := ParseLong(unhex(t, tc.pkt)); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestFramesBad(t *testing.T) {
	for _, tc := range []struct {
		name, payload string
		want          error
	}{
		{"stream frame", "08", ErrFrameType},
		{"crypto past end", "060010", ErrFrame},
		{"ack lying count", "0200003f00", ErrFrame},
		{"close reason past end", "1c000005", ErrFrame},
	} {
		if err := Frames(unhex(t, tc.payload), func(uint64, []byte) error { return nil }, nil); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestOpenNoAlloc(t *testing.T) {
	pkt := unhex(t, serverPackets[0].packet)
	h, _ := ParseLong(pkt)
	k, _ := InitialKeys(Version1, unhex(t, rfcDCID), true)
	buf := make([]byte, 0, 2048)
	allocs := testing.AllocsPerRun(100, func() {
		var err error
		buf, _, _, err = k.Open(buf, pkt, &h, -1)
		if err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Open allocates %.1f times per packet", allocs)
	}
}

// FuzzInitial parses, decrypts (with keys from the packet's own connection id) and walks the frames of arbitrary
// datagrams: no panic, no hang.
func FuzzInitial(f *testing.F) {
	for _, tc := range serverPackets {
		f.Add(unhex(f, tc.packet))
	}
	f.Add(readHexFile(f, "testdata/rfc9001-a2-client-initial.hex"))
	f.Add(readHexFile(f, "testdata/rfc9369-a2-client-initial.hex"))
	f.Add([]byte{0xc0, 0, 0, 0, 1, 0, 0, 0x40})
	f.Fuzz(func(t *testing.T, b []byte) {
		for len(b) > 0 {
			h, err := ParseLong(b)
			if err != nil {
				return
			}
			if h.End <= 0 || h.End > len(b) {
				t.Fatalf("End %d out of range", h.End)
			}
			if h.Type == Initial {
				for _, server := range []bool{false, true} {
					k, err := InitialKeys(h.Version, h.DCID, server)
					if err != nil {
						t.Fatal(err)
					}
					if _, p, _, err := k.Open(nil, b, &h, -1); err == nil {
						_ = Frames(p, func(uint64, []byte) error { return nil }, func(uint64) {})
					}
				}
			}
			b = b[h.End:]
		}
	})
}
