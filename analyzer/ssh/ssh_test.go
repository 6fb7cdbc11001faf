package ssh

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"net/netip"
	"strings"
	"testing"

	"github.com/pcapframe/pcapframe/analyzer"
)

// binaryPacket frames payload as an RFC 4253 §6 packet without MAC: length, padding length, payload and at least
// four bytes of padding, the whole a multiple of 8.
func binaryPacket(payload []byte) []byte {
	pad := 8 - (5+len(payload))%8
	if pad < 4 {
		pad += 8
	}
	b := binary.BigEndian.AppendUint32(nil, uint32(1+len(payload)+pad))
	b = append(b, byte(pad))
	b = append(b, payload...)
	return append(b, make([]byte, pad)...)
}

// kexInit builds an SSH_MSG_KEXINIT payload from ten name-lists.
func kexInit(lists [nLists]string) []byte {
	b := append([]byte{msgKexInit}, make([]byte, 16)...)
	for _, l := range lists {
		b = binary.BigEndian.AppendUint32(b, uint32(len(l)))
		b = append(b, l...)
	}
	return append(b, 0, 0, 0, 0, 0)
}

var (
	clientLists = [nLists]string{"curve25519-sha256,diffie-hellman-group14-sha256", "ssh-ed25519,rsa-sha2-512",
		"chacha20-poly1305@openssh.com,aes128-ctr", "chacha20-poly1305@openssh.com,aes128-ctr", "hmac-sha2-256,hmac-sha1",
		"hmac-sha2-256,hmac-sha1", "none,zlib@openssh.com", "none,zlib@openssh.com", "", ""}
	serverLists = [nLists]string{"diffie-hellman-group14-sha256,curve25519-sha256", "rsa-sha2-512",
		"aes128-ctr", "aes128-ctr,chacha20-poly1305@openssh.com", "hmac-sha1", "hmac-sha1,hmac-sha2-256",
		"none", "zlib@openssh.com,none", "", ""}
	testFlow = analyzer.Flow{UID: "Ctest", CommunityID: "1:x", Proto: 6, Orig: netip.MustParseAddrPort("10.0.0.1:40000"),
		Resp: netip.MustParseAddrPort("192.0.2.7:22"), Start: 1e18}
)

type chunk struct {
	fromOrig bool
	data     []byte
}

// run feeds chunks to a new analyzer's connection and returns its rows and whether the handler was done.
func run(t testing.TB, chunks []chunk) ([]Row, bool) {
	t.Helper()
	var rows []Row
	a := New(func(r *Row) error { rows = append(rows, *r); return nil })
	f := testFlow
	h := a.Stream(&f)
	for i, c := range chunks {
		if err := h.Data(c.fromOrig, c.data, int64(i+1), int64(i+1)); err != nil {
			t.Fatal(err)
		}
	}
	done := h.(analyzer.StreamDone).Done()
	if err := h.End(); err != nil {
		t.Fatal(err)
	}
	if err := a.FlowEnd(&f); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	return rows, done
}

// handshake is a clear-text start of an SSH 2 connection: identifications, both KEXINITs, both NEWKEYS.
func handshake() []chunk {
	return []chunk{
		{false, []byte("SSH-2.0-OpenSSH_9.6\r\n")},
		{true, []byte("SSH-2.0-TestClient_1.0 comment\r\n")},
		{true, binaryPacket(kexInit(clientLists))},
		{false, binaryPacket(kexInit(serverLists))},
		{true, binaryPacket([]byte{msgNewKeys})},
		{false, binaryPacket([]byte{msgNewKeys})},
	}
}

func md5hex(s string) string {
	h := md5.Sum([]byte(s))
	return hex.EncodeToString(h[:])
}

// TestNegotiate checks RFC 4253 §7.1: the first algorithm of the client's list that the server also lists.
func TestNegotiate(t *testing.T) {
	tests := []struct {
		client, server, want string
		ok                   bool
	}{
		{"a,b,c", "c,b", "b", true},
		{"a", "a", "a", true},
		{"x,y", "a,b", "", false},
		{"", "a", "", false},
		{"a,b", "", "", false},
		{"aes128-ctr,aes256-ctr", "aes256-ctr,aes128-ctr", "aes128-ctr", true},
		{"ab", "a,b", "", false}, // names are compared whole
	}
	for _, tt := range tests {
		got, ok := negotiate(tt.client, tt.server)
		if got != tt.want || ok != tt.ok {
			t.Errorf("negotiate(%q, %q) = %q, %v; want %q, %v", tt.client, tt.server, got, ok, tt.want, tt.ok)
		}
	}
}

// TestHASSHPublished checks the HASSHServer of a published example (salesforce/hassh's README, an OpenSSH server).
func TestHASSHPublished(t *testing.T) {
	var l [nLists]string
	l[listKex] = "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256,diffie-hellman-group14-sha1"
	l[listEncS2C] = "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com"
	l[listMACS2C] = "umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1"
	l[listCompS2C] = "none,zlib@openssh.com"
	sum, _ := hassh(&l, listEncS2C, listMACS2C, listCompS2C)
	if sum != "b12d2871a1189eff20364cf5333619ee" {
		t.Errorf("hasshServer = %s, published b12d2871a1189eff20364cf5333619ee", sum)
	}
}

// TestConnection follows a whole synthetic connection, KEXINITs split at every byte, and checks each column.
func TestConnection(t *testing.T) {
	for _, split := range []bool{false, true} {
		chunks := handshake()
		if split {
			var one []chunk
			for _, c := range chunks {
				for i := range c.data {
					one = append(one, chunk{c.fromOrig, c.data[i : i+1]})
				}
			}
			chunks = one
		}
		rows, _ := run(t, chunks)
		if len(rows) != 1 {
			t.Fatalf("split %v: %d rows", split, len(rows))
		}
		r := rows[0]
		wantH := md5hex(clientLists[0] + ";" + clientLists[2] + ";" + clientLists[4] + ";" + clientLists[6])
		wantHS := md5hex(serverLists[0] + ";" + serverLists[3] + ";" + serverLists[5] + ";" + serverLists[7])
		checks := []struct{ col, got, want string }{
			{"client", r.Client, "SSH-2.0-TestClient_1.0 comment"},
			{"server", r.Server, "SSH-2.0-OpenSSH_9.6"},
			{"kex_alg", r.KexAlg, "curve25519-sha256"},
			{"host_key_alg", r.HostKeyAlg, "rsa-sha2-512"},
			{"cipher_alg", r.CipherAlg, "to server: aes128-ctr, to client: chacha20-poly1305@openssh.com"},
			{"mac_alg", r.MACAlg, "to server: hmac-sha1, to client: hmac-sha2-256"},
			{"compression_alg", r.CompressionAlg, "none"},
			{"hassh", r.HASSH, wantH},
			{"hassh_server", r.HASSHServer, wantHS},
			{"direction", r.Direction, "OUTBOUND"},
			{"note", r.Note, ""},
		}
		for _, c := range checks {
			if c.got != c.want {
				t.Errorf("split %v: %s = %q, want %q", split, c.col, c.got, c.want)
			}
		}
		if r.Version != 2 || r.HasAuth || r.ClientKexInitFrame == 0 || r.ServerKexInitFrame == 0 {
			t.Errorf("split %v: version %d, auth %v, frames %d %d", split, r.Version, r.HasAuth, r.ClientKexInitFrame, r.ServerKexInitFrame)
		}
	}
}

// TestAuthInference checks Zeek's rule (SSH.cc ProcessEncrypted) on sequences of encrypted segment sizes: the
// server's first one after client data is SERVICE_ACCEPT; 16 bytes less is USERAUTH_SUCCESS; the first larger one
// USERAUTH_FAILURE (a banner more than 256 bytes larger skipped once), each repeat one more failure.
func TestAuthInference(t *testing.T) {
	type seg struct {
		client bool
		n      int
	}
	tests := []struct {
		name     string
		segs     []seg
		has, ok  bool
		attempts int
	}{
		{"none method succeeds", []seg{{true, 44}, {false, 44}, {true, 68}, {false, 28}}, true, true, 1},
		{"two failures then success", []seg{{true, 44}, {false, 44}, {true, 84}, {false, 60}, {true, 100}, {false, 60}, {true, 100}, {false, 28}}, true, true, 2},
		// the first failure only gives the failure size; the repeat is the first attempt counted, as in Zeek
		{"failures only", []seg{{true, 44}, {false, 44}, {true, 84}, {false, 60}, {true, 100}, {false, 60}, {true, 100}, {false, 60}}, true, false, 2},
		{"banner skipped", []seg{{true, 44}, {false, 44}, {false, 600}, {true, 84}, {false, 60}, {true, 100}, {false, 60}}, true, false, 1},
		{"server before client ignored", []seg{{false, 44}, {false, 28}}, false, false, 0},
		{"undecided", []seg{{true, 44}, {false, 44}, {true, 84}, {false, 60}}, false, false, 0},
		{"success stays", []seg{{true, 44}, {false, 44}, {false, 28}, {false, 60}}, true, true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chunks := handshake()
			for _, s := range tt.segs {
				chunks = append(chunks, chunk{s.client, make([]byte, s.n)})
			}
			rows, _ := run(t, chunks)
			if len(rows) != 1 {
				t.Fatalf("%d rows", len(rows))
			}
			r := rows[0]
			if r.HasAuth != tt.has || r.AuthSuccess != tt.ok || r.AuthAttempts != tt.attempts {
				t.Errorf("auth (present %v, success %v, attempts %d), want (%v, %v, %d)", r.HasAuth, r.AuthSuccess, r.AuthAttempts, tt.has, tt.ok, tt.attempts)
			}
		})
	}
}

// TestRecognition checks which connections make a row.
func TestRecognition(t *testing.T) {
	tests := []struct {
		name    string
		chunks  []chunk
		rows    int
		done    bool
		version int
		note    string
	}{
		{"http", []chunk{{true, []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")}, {false, []byte("HTTP/1.1 200 OK\r\n")}}, 0, true, 0, ""},
		{"server banner lines first", []chunk{{false, []byte("hello\r\nworld\r\nSSH-2.0-X\r\n")}, {true, []byte("SSH-2.0-Y\r\n")}}, 1, false, 2, ""},
		{"ssh 1.99 server", []chunk{{false, []byte("SSH-1.99-X\n")}, {true, []byte("SSH-2.0-Y\n")}}, 1, false, 2, ""},
		{"ssh 1", []chunk{{false, []byte("SSH-1.5-X\n")}, {true, []byte("SSH-1.5-Y\n")}}, 1, true, 1, ""},
		{"client only", []chunk{{true, []byte("SSH-2.0-Y\r\n")}}, 1, false, 2, ""},
		{"server talks, client does not", []chunk{{false, []byte("220 ftp ready\r\n")}, {true, []byte("USER x\r\n")}}, 0, true, 0, ""},
		{"too many server lines", []chunk{{true, []byte("SSH-2.0-Y\r\n")}, {false, []byte(strings.Repeat("x\n", 40))}}, 1, false, 2, "the server sent no identification line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, done := run(t, tt.chunks)
			if len(rows) != tt.rows || done != tt.done {
				t.Fatalf("%d rows, done %v; want %d, %v", len(rows), done, tt.rows, tt.done)
			}
			if tt.rows > 0 && (rows[0].Version != tt.version || rows[0].Note != tt.note) {
				t.Errorf("version %d note %q, want %d %q", rows[0].Version, rows[0].Note, tt.version, tt.note)
			}
		})
	}
}
