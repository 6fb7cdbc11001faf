package tls

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/pcapframe/pcapframe/analyzer"
	"github.com/pcapframe/pcapframe/packet"
)

var testFlowID = analyzer.Flow{UID: "Ctest", CommunityID: "1:x", Proto: 6,
	Orig: netip.MustParseAddrPort("10.0.0.1:50000"), Resp: netip.MustParseAddrPort("10.0.0.2:443"), Start: 1}

// chunk is one Data (or Gap, when gap > 0) call of a test stream.
type chunk struct {
	fromOrig bool
	data     []byte
	gap      int64
}

// runStream feeds chunks to the analyzer's handler of one connection, split into pieces of at most split bytes
// (0: whole), and returns the row.
func runStream(t *testing.T, chunks []chunk, split int) *Row {
	t.Helper()
	var rows []Row
	a := New(func(r *Row) error { rows = append(rows, *r); return nil })
	f := testFlowID
	h := a.Stream(&f)
	frame := int64(0)
	for _, c := range chunks {
		frame++
		if c.gap > 0 {
			if err := h.Gap(c.fromOrig, c.gap, frame, frame); err != nil {
				t.Fatal(err)
			}
			continue
		}
		d := c.data
		for len(d) > 0 {
			n := len(d)
			if split > 0 && n > split {
				n = split
			}
			if err := h.Data(c.fromOrig, bytes.Clone(d[:n]), frame, frame); err != nil {
				t.Fatal(err)
			}
			d = d[n:]
		}
	}
	if err := h.End(); err != nil {
		t.Fatal(err)
	}
	svc := a.Service(f.UID)
	if err := a.FlowEnd(&f); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 {
		if svc != "" {
			t.Errorf("service %q without a row", svc)
		}
		return nil
	}
	if len(rows) != 1 {
		t.Fatalf("%d rows, want 1", len(rows))
	}
	if svc != "ssl" {
		t.Errorf("service = %q, want ssl", svc)
	}
	return &rows[0]
}

var (
	ch12 = handshake(msgClientHello, clientHelloBody(0x0303, []byte{1, 2, 3}, []uint16{0x1a1a, 0xc02f, 0x009c},
		[]ext{{0x0a0a, nil}, sniExt("www.example.org"), groupsExt(0x1a1a, 29, 23), {extECPointFormats, withLen8([]byte{0})},
			sigExt(0x0403, 0x0804), alpnExt("h2", "http/1.1")}))
	sh12 = handshake(msgServerHello, serverHelloBody(0x0303, []byte{9, 9}, 0xc02f, []ext{{0xff01, []byte{0}}, alpnExt("h2")}))
	ske  = handshake(msgServerKeyExchange, append([]byte{3, 0, 29, 32}, make([]byte, 32)...))
	shd  = handshake(msgServerHelloDone, nil)
	ccs  = record(recChangeCipherSpec, []byte{1})
	fin  = record(recHandshake, make([]byte, 40)) // an encrypted Finished
	app  = record(recApplicationData, make([]byte, 100))
)

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func TestTLS12Handshake(t *testing.T) {
	// The server's flight is one handshake record holding ServerHello, ServerKeyExchange and ServerHelloDone,
	// written as two records that split the ServerKeyExchange in the middle.
	flight := cat(sh12, ske, shd)
	cut := len(sh12) + 10
	server := cat(record(recHandshake, flight[:cut]), record(recHandshake, flight[cut:]))
	chunks := []chunk{
		{fromOrig: true, data: record(recHandshake, ch12)},
		{fromOrig: false, data: server},
		{fromOrig: true, data: cat(record(recHandshake, make([]byte, 70)), ccs, fin)},
		{fromOrig: false, data: cat(ccs, fin)},
		{fromOrig: true, data: app},
		{fromOrig: false, data: app},
	}
	for _, split := range []int{0, 1, 3, 7} {
		r := runStream(t, chunks, split)
		if r == nil {
			t.Fatalf("split %d: no row", split)
		}
		type key struct {
			Version, ClientMaxVersion, Cipher string
			CipherID                          int64
			Curve, ServerName, NextProtocol   string
			Established                       bool
		}
		want := key{Version: "TLSv12", ClientMaxVersion: "TLSv12", Cipher: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", CipherID: 0xc02f,
			Curve: "x25519", ServerName: "www.example.org", NextProtocol: "h2", Established: true}
		got := key{Version: r.Version, ClientMaxVersion: r.ClientMaxVersion, Cipher: r.Cipher, CipherID: r.CipherID, Curve: r.Curve,
			ServerName: r.ServerName, NextProtocol: r.NextProtocol, Established: r.Established}
		if got != want {
			t.Errorf("split %d:\n got %+v\nwant %+v (note %q)", split, got, want, r.Note)
		}
		if strings.Join(r.OrigALPN, ",") != "h2,http/1.1" || len(r.ClientCiphers) != 3 || r.Resumed || r.Note != "" {
			t.Errorf("split %d: alpn %v ciphers %v resumed %v note %q", split, r.OrigALPN, r.ClientCiphers, r.Resumed, r.Note)
		}
		// JA3 written out by hand from the hello above: GREASE dropped.
		if r.JA3String != "771,49199-156,0-10-11-13-16,29-23,0" || r.JA3SString != "771,49199,65281-16" {
			t.Errorf("split %d: ja3 %q ja3s %q", split, r.JA3String, r.JA3SString)
		}
		if r.ClientHelloFrame != 1 || r.ServerHelloFrame != 2 {
			t.Errorf("split %d: frames %d %d", split, r.ClientHelloFrame, r.ServerHelloFrame)
		}
	}
}

func TestTLSCases(t *testing.T) {
	sh13 := handshake(msgServerHello, serverHelloBody(0x0303, []byte{1, 2, 3}, 0x1301,
		[]ext{{extSupportedVersions, []byte{3, 4}}, {extKeyShare, append([]byte{0, 29, 0, 32}, make([]byte, 32)...)}}))
	sh13psk := handshake(msgServerHello, serverHelloBody(0x0303, nil, 0x1301,
		[]ext{{extSupportedVersions, []byte{3, 4}}, {extPreSharedKey, []byte{0, 0}}}))
	shResume := handshake(msgServerHello, serverHelloBody(0x0303, []byte{1, 2, 3}, 0xc02f, nil))
	alert := record(recAlert, []byte{2, 40})
	v2hello := []byte{0x80, 0x2b, 0x01, 0x03, 0x01, 0x00, 0x12, 0x00, 0x00, 0x00, 0x10,
		0x01, 0x00, 0x80, 0x00, 0x00, 0x39, 0x00, 0x00, 0x35, 0x00, 0x00, 0x2f, 0x00, 0x00, 0xff, 0x06, 0x00, 0x40}
	v2hello = append(v2hello, make([]byte, 16)...) // the challenge
	for _, tc := range []struct {
		name   string
		chunks []chunk
		check  func(r *Row) string // "" when fine
	}{
		{"tls 1.3 established", []chunk{{true, record(recHandshake, ch12), 0}, {false, cat(record(recHandshake, sh13), ccs, app, app), 0},
			{true, cat(ccs, app), 0}}, func(r *Row) string {
			if r.Version != "TLSv13" || r.Curve != "x25519" || !r.Established || r.Resumed || r.Cipher != "TLS_AES_128_GCM_SHA256" {
				return "want TLSv13 x25519 established"
			}
			return ""
		}},
		{"hello retry request", []chunk{{true, record(recHandshake, ch12), 0},
			{false, record(recHandshake, handshake(msgServerHello, append(append(u16s(0x0303), helloRetryRandom[:]...),
				append(append(withLen8([]byte{1, 2, 3}), 0x13, 0x01, 0), extBlock([]ext{{extSupportedVersions, []byte{3, 4}}, {extKeyShare, []byte{0, 23}}})...)...))), 0},
			{true, cat(ccs, record(recHandshake, ch12)), 0}, {false, cat(record(recHandshake, sh13), app), 0}, {true, app, 0}},
			func(r *Row) string {
				return want(r.Version == "TLSv13" && r.Curve == "x25519" && r.Established && r.ClientHelloFrame == 1 && r.ServerHelloFrame == 4 &&
					r.Note == "hello retry request", "the ServerHello after the HelloRetryRequest, the first ClientHello")
			}},
		{"tls 1.3 client never answers", []chunk{{true, record(recHandshake, ch12), 0}, {false, cat(record(recHandshake, sh13), app), 0}},
			func(r *Row) string {
				if r.Established || !strings.Contains(r.Note, "handshake not completed") {
					return "want not established, noted"
				}
				return ""
			}},
		{"tls 1.3 psk resumption", []chunk{{true, record(recHandshake, ch12), 0}, {false, record(recHandshake, sh13psk), 0}},
			func(r *Row) string { return want(r.Resumed, "resumed") }},
		{"tls 1.2 session id resumption", []chunk{{true, record(recHandshake, ch12), 0}, {false, cat(record(recHandshake, shResume), ccs, fin), 0},
			{true, cat(ccs, fin), 0}}, func(r *Row) string { return want(r.Resumed && r.Established, "resumed and established") }},
		{"alert", []chunk{{true, record(recHandshake, ch12), 0}, {false, alert, 0}},
			func(r *Row) string {
				return want(r.LastAlert == "handshake_failure" && !r.Established, "handshake_failure")
			}},
		{"sslv2 client hello", []chunk{{true, v2hello, 0}, {false, cat(record(recHandshake, sh12)), 0}}, func(r *Row) string {
			if r.ClientMaxVersion != "TLSv10" || len(r.ClientCiphers) != 4 || r.ClientCiphers[0] != 0x39 || r.JA3 != "" || !strings.Contains(r.Note, "sslv2") {
				return "want TLSv10, 4 TLS ciphers (SSLv2 kinds dropped), no ja3, a note"
			}
			return ""
		}},
		{"not tls", []chunk{{true, []byte("GET / HTTP/1.1\r\n\r\n"), 0}, {false, record(recHandshake, sh12), 0}},
			func(r *Row) string { return want(r == nil, "no row") }},
		{"starttls", []chunk{{false, []byte("220 mail ESMTP\r\n"), 0}, {true, []byte("EHLO x\r\n"), 0}, {false, []byte("250 STARTTLS\r\n"), 0},
			{true, []byte("STARTTLS\r\n"), 0}, {false, []byte("220 go ahead\r\n"), 0}, {true, record(recHandshake, ch12), 0},
			{false, record(recHandshake, sh12), 0}}, func(r *Row) string {
			return want(r.Version == "TLSv12" && r.ServerName == "www.example.org" && r.Note == "tls after clear text (STARTTLS); handshake not completed",
				"the handshake after STARTTLS")
		}},
		{"record too long", []chunk{{true, record(recHandshake, ch12), 0}, {false, []byte{22, 3, 3, 0xff, 0xff, 0, 0}, 0}},
			func(r *Row) string { return want(strings.Contains(r.Note, "invalid tls record header"), "a note") }},
		{"extensions overrun", []chunk{{true, record(recHandshake, handshake(msgClientHello,
			append(clientHelloBody(0x0303, nil, []uint16{0x1301}, nil), 0x00, 0x10, 0x00, 0x00, 0x00, 0x40, 1))), 0}},
			func(r *Row) string {
				return want(strings.Contains(r.Note, "overrun") && r.JA4 != "", "a note and a fingerprint")
			}},
		{"truncated client hello", []chunk{{true, record(recHandshake, handshake(msgClientHello, []byte{3, 3, 0})), 0},
			{false, record(recHandshake, sh12), 0}}, func(r *Row) string {
			return want(strings.Contains(r.Note, "client hello: truncated") && r.JA3 == "" && r.Version == "TLSv12", "a note")
		}},
		{"gap before the server hello", []chunk{{true, record(recHandshake, ch12), 0}, {false, nil, 100}, {false, record(recHandshake, sh12), 0}},
			func(r *Row) string {
				return want(strings.Contains(r.Note, "gap in the server's stream") && strings.Contains(r.Note, "resynchronised") &&
					r.Version == "TLSv12", "a gap note, then the ServerHello of the next segment")
			}},
		{"gap past the end of a handshake record", []chunk{{true, record(recHandshake, ch12), 0}, {false, record(recHandshake, sh12)[:20], 0},
			{false, nil, 60}, {false, []byte{1, 2, 3, 4, 5, 6}, 0}, {false, cat(ccs, fin), 0}, {true, cat(ccs, fin), 0}},
			func(r *Row) string {
				return want(r.Version == "" && r.Established && strings.Contains(r.Note, "resynchronised"), "resynchronised at the ChangeCipherSpec")
			}},
		{"gap inside a handshake message", []chunk{{true, record(recHandshake, ch12), 0},
			{false, record(recHandshake, cat(sh12, ske, shd))[:20], 0}, {false, nil, 30}, {false, record(recHandshake, cat(sh12, ske, shd))[50:], 0},
			{false, cat(ccs, fin), 0}, {true, cat(ccs, fin), 0}},
			func(r *Row) string {
				return want(r.Version == "" && r.Curve == "" && r.Established && strings.Contains(r.Note, "type 2 cut by a gap") &&
					!strings.Contains(r.Note, "resynchronised") && !strings.Contains(r.Note, "invalid"), "the messages after the cut one read, in step")
			}},
		{"gap inside a handshake message, later messages read", []chunk{{true, record(recHandshake, ch12), 0},
			{false, record(recHandshake, sh12), 0}, {false, record(recHandshake, cat(handshake(msgCertificate, make([]byte, 300)), ske, shd))[:100], 0},
			{false, nil, 100}, {false, record(recHandshake, cat(handshake(msgCertificate, make([]byte, 300)), ske, shd))[200:], 0},
			{false, cat(ccs, fin), 0}, {true, cat(ccs, fin), 0}},
			func(r *Row) string {
				return want(r.Version == "TLSv12" && r.Curve == "x25519" && r.Established && strings.Contains(r.Note, "type 11 cut by a gap"), "the ServerKeyExchange after the cut Certificate")
			}},
		{"gap inside application data", []chunk{{true, record(recHandshake, ch12), 0}, {false, cat(record(recHandshake, sh12), ccs, fin), 0},
			{true, cat(ccs, fin), 0}, {true, app[:20], 0}, {true, nil, 50}, {true, app[70:], 0}, {true, alert, 0}},
			func(r *Row) string {
				return want(r.Established && r.LastAlert == "handshake_failure" && r.Note == "", "the record layer kept in step")
			}},
		{"oversized handshake message", []chunk{{true, record(recHandshake, ch12), 0},
			{false, cat(record(recHandshake, sh12), record(recHandshake, []byte{11, 0x10, 0, 0})), 0}},
			func(r *Row) string { return want(strings.Contains(r.Note, "over the 64 KiB cap"), "a cap note") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runStream(t, tc.chunks, 0)
			if r == nil && tc.name != "not tls" {
				t.Fatal("no row")
			}
			if msg := tc.check(r); msg != "" {
				if r != nil {
					t.Errorf("%s; row %+v", msg, *r)
				} else {
					t.Error(msg)
				}
			}
		})
	}
}

func want(ok bool, what string) string {
	if ok {
		return ""
	}
	return "want " + what
}

func readHexVector(t *testing.T, path string) []byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("test vector missing: %v", err)
	}
	var sb strings.Builder
	for _, l := range strings.Split(string(raw), "\n") {
		if !strings.HasPrefix(l, "#") {
			sb.WriteString(l)
		}
	}
	b, err := hex.DecodeString(sb.String())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestQUICRFC runs the client and server Initial packets of RFC 9001 A.2/A.3 (version 1) and RFC 9369 A.2/A.3
// (version 2) through the analyzer's datagram path, the server's coalesced with a Handshake packet and padding,
// then 1-RTT packets both ways. The JA4 was worked out by hand from the RFC's ClientHello (TestJA4Vectors).
func TestQUICRFC(t *testing.T) {
	for _, tc := range []struct {
		name, client, server string
		handshakeType        byte
	}{
		{"v1", "quic/testdata/rfc9001-a2-client-initial.hex", "cf000000010008f067a5502a4262b5004075c0d95a482cd0991cd25b0aac406a5816b6394100f37a1c69797554780bb3" +
			"8cc5a99f5ede4cf73c3ec2493a1839b3dbcba3f6ea46c5b7684df3548e7ddeb9c3bf9c73cc3f3bded74b562bfb19fb84" +
			"022f8ef4cdd93795d77d06edbb7aaf2f58891850abbdca3d20398c276456cbc42158407dd074ee", 0xe0},
		{"v2", "quic/testdata/rfc9369-a2-client-initial.hex", "dc6b3343cf0008f067a5502a4262b5004075d92faaf16f05d8a4398c47089698baeea26b91eb761d9b89237bbf872630" +
			"17915358230035f7fd3945d88965cf17f9af6e16886c61bfc703106fbaf3cb4cfa52382dd16a393e42757507698075b2" +
			"c984c707f0a0812d8cd5a6881eaf21ceda98f4bd23f6fe1a3e2c43edd9ce7ca84bed8521e2e140", 0xf0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cpkt := readHexVector(t, tc.client)
			spkt, _ := hex.DecodeString(tc.server)
			ver := spkt[1:5]
			// A Handshake packet (its payload is not read) and zero padding after the server's Initial.
			hs := append([]byte{tc.handshakeType}, ver...)
			hs = append(hs, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0x40, 30)
			hs = append(hs, make([]byte, 30)...)
			sdgram := cat(spkt, hs, make([]byte, 20))
			short := append([]byte{0x41}, make([]byte, 40)...)
			var rows []Row
			a := New(func(r *Row) error { rows = append(rows, *r); return nil })
			f := testFlowID
			f.Proto = 17
			dec := packet.NewDecoder()
			for i, d := range []struct {
				fromOrig bool
				payload  []byte
			}{{true, cpkt}, {false, sdgram}, {false, short}, {true, short}} {
				src, dst := f.Orig, f.Resp
				if !d.fromOrig {
					src, dst = dst, src
				}
				frame := udpFrame(src, dst, d.payload)
				var p packet.Packet
				dec.Decode(&p, packet.Meta{Frame: int64(i + 1), Time: int64(i + 1), CapLen: int32(len(frame)), WireLen: int32(len(frame)), LinkType: 1}, frame)
				if err := a.Packet(&analyzer.Packet{Packet: &p, Flow: &f, FromOrig: d.fromOrig}); err != nil {
					t.Fatal(err)
				}
			}
			if got := a.Service(f.UID); got != "quic" {
				t.Errorf("service %q", got)
			}
			if err := a.FlowEnd(&f); err != nil {
				t.Fatal(err)
			}
			if len(rows) != 1 {
				t.Fatalf("%d rows", len(rows))
			}
			r := rows[0]
			if r.ServerName != "example.com" || r.JA4 != "q13d0211an_62ed6f6ca7ad_4d634acda6c0" || r.Version != "TLSv13" ||
				r.Cipher != "TLS_AES_128_GCM_SHA256" || r.Curve != "x25519" || r.Proto != "quic" || strings.Join(r.OrigALPN, ",") != "alpn" ||
				!r.Established || r.ClientHelloFrame != 1 || r.ServerHelloFrame != 2 || r.Note != "" {
				t.Errorf("row %+v", r)
			}
		})
	}
}

// TestCryptoReassembly gives a ClientHello to the QUIC CRYPTO reassembly in pieces, out of order and
// overlapping, as Chrome spreads its ClientHello over several Initial packets.
func TestCryptoReassembly(t *testing.T) {
	msg := ch12
	pieces := [][2]int{{60, 90}, {0, 30}, {25, 70}, {90, len(msg)}, {10, 20}}
	c := &conn{isQUIC: true, q: &quicState{}, lastAlert: -1}
	for i, p := range pieces {
		c.q.crypto[client].add(c, client, uint64(p[0]), msg[p[0]:p[1]], int64(i+1))
		if done := c.ch != nil; done != (i >= 3) {
			t.Fatalf("after piece %d: hello complete %v", i, done)
		}
	}
	if c.ch == nil || c.ch.serverName != "www.example.org" || c.chFrame != 4 {
		t.Fatalf("hello not reassembled: %+v notes %q", c.ch, c.notes)
	}
	// Data beyond the cap is refused with a note, and too many holes are noted, without growing memory.
	c2 := &conn{isQUIC: true, q: &quicState{}, lastAlert: -1}
	c2.q.crypto[client].add(c2, client, MaxHandshake-1, []byte{1, 2}, 1)
	for i := range 100 {
		c2.q.crypto[client].add(c2, client, uint64(1000+4*i), []byte{1}, 1)
	}
	if len(c2.q.crypto[client].ranges) > maxRanges || !strings.Contains(strings.Join(c2.notes, ";"), "beyond 64 KiB") ||
		!strings.Contains(strings.Join(c2.notes, ";"), "too fragmented") || cap(c2.q.crypto[client].buf) > 2*MaxHandshake {
		t.Errorf("ranges %d, notes %q", len(c2.q.crypto[client].ranges), c2.notes)
	}
}

// TestColumnsNoAlloc reads every column of a full row: the accessors must not allocate.
func TestColumnsNoAlloc(t *testing.T) {
	rows := runCapture(t, "zeek__tls_tls1.2.pcap")
	if len(rows) != 1 || !rows[0].HasCert {
		t.Fatalf("want one row with a certificate, got %d", len(rows))
	}
	r := &rows[0]
	buf := make([]byte, 0, 4096)
	for _, c := range Table.Columns {
		n := testing.AllocsPerRun(10, func() {
			switch {
			case c.Int != nil:
				c.Int(r)
			case c.Float != nil:
				c.Float(r)
			case c.Append != nil:
				buf, _ = c.Append(r, buf[:0])
			case c.Strings != nil:
				c.Strings(r)
			case c.Ints != nil:
				c.Ints(r)
			}
		})
		if n != 0 {
			t.Errorf("column %s: %.0f allocations", c.Name, n)
		}
	}
}

// TestNotesCounted checks the per-note counts (Zeek's weird.log counterpart) and their bound.
func TestNotesCounted(t *testing.T) {
	a := New(func(*Row) error { return nil })
	for i := range maxNoteKinds + 10 {
		f := testFlowID
		f.UID = fmt.Sprintf("C%d", i)
		h := a.Stream(&f)
		_ = h.Data(true, record(recHandshake, ch12), 1, 1)
		_ = h.Data(false, []byte{byte(48 + i%200), 3, 3, byte(i / 200), 0}, 2, 2) // a bad record type, a different header each time
		_ = h.End()
		if err := a.FlowEnd(&f); err != nil {
			t.Fatal(err)
		}
	}
	notes := a.Notes()
	if len(notes) > maxNoteKinds+1 || notes["handshake not completed"] != maxNoteKinds+10 || notes["(other notes)"] == 0 {
		t.Errorf("%d kinds, %d not completed, %d others", len(notes), notes["handshake not completed"], notes["(other notes)"])
	}
}

// TestSelfSigned: the MySQL server certificate of the pcapng example (CN=ubuntu) is self-signed, as
// `openssl verify -no_check_time -CAfile cert.pem cert.pem` says of the certificate tshark extracts; the COMODO-
// issued leaf of tls1.2.pcap is not.
func TestSelfSigned(t *testing.T) {
	for _, tc := range []struct {
		capture string
		want    bool
	}{
		{"pcapplusplus__Pcap__Test_PcapExamples_pcapng-example.pcapng", true},
		{"zeek__tls_tls1.2.pcap", false},
	} {
		rows := runCapture(t, tc.capture)
		if len(rows) != 1 || !rows[0].CertParsed {
			t.Fatalf("%s: want one row with a certificate, got %d", tc.capture, len(rows))
		}
		if got := rows[0].CertSelfSigned; got != tc.want {
			t.Errorf("%s: cert_self_signed = %v, want %v (subject %q, issuer %q)", tc.capture, got, tc.want, rows[0].Subject, rows[0].Issuer)
		}
	}
}

// TestHandlerDone checks when a connection's handler says it is done (analyzer.StreamDone): at once for clear text
// that never turns to TLS on the same connection, never for clear text that may lead to STARTTLS.
func TestHandlerDone(t *testing.T) {
	for _, tc := range []struct {
		name     string
		fromOrig bool
		data     string
		done     bool
	}{
		{"http get", true, "GET / HTTP/1.1\r\nHost: a\r\n\r\n", true},
		{"http post", true, "POST /x HTTP/1.1\r\n", true},
		{"http connect (tls may follow)", true, "CONNECT a:443 HTTP/1.1\r\n\r\n", false},
		{"ssh client", true, "SSH-2.0-OpenSSH_9.6\r\n", true},
		{"ssh server banner first", false, "SSH-2.0-OpenSSH_9.6\r\n", true},
		{"smtp client", true, "EHLO mail.example\r\n", false},
		{"smtp server banner", false, "220 mail.example ESMTP\r\n", false},
		{"imap", true, "a001 CAPABILITY\r\n", false},
		{"postgres sslrequest", true, "\x00\x00\x00\x08\x04\xd2\x16\x2f", false},
		{"tls client hello start", true, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := New(func(*Row) error { return nil })
			h := a.Stream(&analyzer.Flow{UID: "C1", Proto: 6})
			d, ok := h.(analyzer.StreamDone)
			if !ok {
				t.Fatal("the handler is no analyzer.StreamDone")
			}
			if d.Done() {
				t.Fatal("done before any data")
			}
			if err := h.Data(tc.fromOrig, []byte(tc.data), 1, 0); err != nil {
				t.Fatal(err)
			}
			if d.Done() != tc.done {
				t.Errorf("Done() = %v, want %v", d.Done(), tc.done)
			}
		})
	}
}
