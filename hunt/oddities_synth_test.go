package hunt_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"fmt"
	"io"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// Synthetic captures for the detectors of TLS oddities (tls_self_signed, tls_rare_ja4), DNS tunnelling per
// resolver (resolver_tunnel) and beaconing to a name (beacon_names). The TLS handshakes are real: Go's crypto/tls
// client and server talk over a loopback socket, every write is recorded, and the writes are laid into the
// capture as TCP segments at packet times of our choosing; the certificates are made here, so which ones are
// self-signed is known independently of the analyzer.

// msg is one write of a conversation, by the client or by the server.
type msg struct {
	client bool
	data   []byte
}

// talk adds a TCP connection at time t (ns) carrying msgs in order (each in segments of at most 1400 bytes, gap
// ns apart), then FIN both ways, and returns the time after it.
func (s *synth) talk(t int64, c, srv string, cp, sp uint16, msgs []msg, gap int64) int64 {
	var cs, ss uint32 = 1000, 5000
	add := func(b []byte) { s.frames = append(s.frames, frame{t, b}); t += gap }
	add(tcpSeg(c, srv, cp, sp, cs, 0, syn, nil))
	add(tcpSeg(srv, c, sp, cp, ss, cs+1, syn|ack, nil))
	cs++
	ss++
	add(tcpSeg(c, srv, cp, sp, cs, ss, ack, nil))
	for _, m := range msgs {
		for i := 0; i < len(m.data); i += 1400 {
			p := m.data[i:min(i+1400, len(m.data))]
			if m.client {
				add(tcpSeg(c, srv, cp, sp, cs, ss, psh|ack, p))
				cs += uint32(len(p))
			} else {
				add(tcpSeg(srv, c, sp, cp, ss, cs, psh|ack, p))
				ss += uint32(len(p))
			}
		}
	}
	add(tcpSeg(c, srv, cp, sp, cs, ss, fin|ack, nil))
	add(tcpSeg(srv, c, sp, cp, ss, cs+1, fin|ack, nil))
	add(tcpSeg(c, srv, cp, sp, cs+1, ss+1, ack, nil))
	return t
}

// recConn records every write into a shared log, in the order the writes happen.
type recConn struct {
	net.Conn
	client bool
	mu     *sync.Mutex
	log    *[]msg
}

func (r recConn) Write(b []byte) (int, error) {
	r.mu.Lock()
	*r.log = append(*r.log, msg{r.client, append([]byte(nil), b...)})
	r.mu.Unlock()
	return r.Conn.Write(b)
}

// tlsSession runs a real TLS handshake between a crypto/tls client and server over a loopback socket, sends req
// and answers resp, and returns the writes of both sides in order.
func tlsSession(t *testing.T, ccfg, scfg *tls.Config, req, resp []byte) []msg {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var mu sync.Mutex
	var log []msg
	done := make(chan error, 1)
	go func() {
		raw, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		defer raw.Close()
		raw.SetDeadline(time.Now().Add(20 * time.Second)) // a hang guard for the test, not a packet time
		sc := tls.Server(recConn{raw, false, &mu, &log}, scfg)
		buf := make([]byte, len(req))
		if _, err := io.ReadFull(sc, buf); err != nil {
			done <- fmt.Errorf("server read: %w", err)
			return
		}
		_, err = sc.Write(resp)
		done <- err
	}()
	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	raw.SetDeadline(time.Now().Add(20 * time.Second))
	cc := tls.Client(recConn{raw, true, &mu, &log}, ccfg)
	if _, err := cc.Write(req); err != nil {
		t.Fatalf("tls client: %v", err)
	}
	if _, err := io.ReadFull(cc, make([]byte, len(resp))); err != nil {
		t.Fatalf("tls client read: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("tls server: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	return append([]msg(nil), log...)
}

// certs makes the certificates of the TLS captures: a CA and leaves it signs, and self-signed leaves.
type certs struct {
	caCert *x509.Certificate
	caKey  *ecdsa.PrivateKey
	serial int64
}

func newCerts(t *testing.T) *certs {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "Example Test CA", Organization: []string{"Example"}},
		NotBefore:             time.Unix(epoch/1e9-86400*30, 0),
		NotAfter:              time.Unix(epoch/1e9+86400*365, 0),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &certs{caCert: ca, caKey: key, serial: 100}
}

// leaf returns a certificate for cn (also its DNS name when cn can be one): signed by the CA, or self-signed.
func (c *certs) leaf(t *testing.T, cn string, selfSigned bool) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	c.serial++
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(c.serial),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Unix(epoch/1e9-86400, 0),
		NotAfter:     time.Unix(epoch/1e9+86400*90, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if strings.IndexFunc(cn, func(r rune) bool { return r <= ' ' || r > '~' || r == '\'' }) < 0 {
		tmpl.DNSNames = []string{cn} // a hostile name goes in the subject only (a dNSName is IA5 text)
	}
	parent, signer := c.caCert, c.caKey
	if selfSigned {
		parent, signer = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	chain := [][]byte{der}
	if !selfSigned {
		chain = append(chain, c.caCert.Raw)
	}
	return tls.Certificate{Certificate: chain, PrivateKey: key}
}

// server returns a server configuration presenting cert, at most TLS 1.2 (so that the certificate is in clear)
// unless tls13 is set.
func server(cert tls.Certificate, tls13 bool) *tls.Config {
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MaxVersion: tls.VersionTLS12, SessionTicketsDisabled: true}
	if tls13 {
		cfg.MaxVersion = tls.VersionTLS13
	}
	return cfg
}

// commonClient is the capture's usual TLS stack (Go's defaults), naming sni when it is not empty.
func commonClient(sni string) *tls.Config {
	return &tls.Config{ServerName: sni, InsecureSkipVerify: true}
}

// rareClient is a TLS stack of its own: TLS 1.2 only, two cipher suites, two groups, no SNI.
func rareClient() *tls.Config {
	return &tls.Config{
		InsecureSkipVerify: true,
		MaxVersion:         tls.VersionTLS12,
		CipherSuites:       []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA},
		CurvePreferences:   []tls.CurveID{tls.CurveP384, tls.CurveP256},
	}
}

var (
	tlsReq  = []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	tlsResp = []byte("HTTP/1.1 204 No Content\r\n\r\n")
)

// browse adds n handshakes of the common stack from client to CA-signed servers at outside addresses, with SNI,
// one every 20 s from t0, over up to 12 servers (k = 7i mod 12 visits all of them within 12 handshakes).
func browse(t *testing.T, s *synth, ca *certs, client string, t0 int64, n int, port0 uint16) {
	names := []string{"www.example.com", "static.example.net", "api.example.org", "img.example.com", "news.example.net",
		"fonts.example.com", "video.example.org", "shop.example.net", "login.example.com", "maps.example.org",
		"cdn.example.net", "docs.example.com"}
	addrs := []string{"198.51.100.20", "198.51.100.21", "192.0.2.30", "192.0.2.31", "198.51.100.40", "198.51.100.41",
		"192.0.2.50", "192.0.2.51", "198.51.100.60", "198.51.100.61", "192.0.2.70", "192.0.2.71"}
	leaves := make([]tls.Certificate, len(names))
	for i, n := range names {
		leaves[i] = ca.leaf(t, n, false)
	}
	for i := 0; i < n; i++ {
		k := (i * 7) % len(names)
		s.talk(t0+int64(i)*20e9, client, addrs[k], port0+uint16(i), 443, tlsSession(t, commonClient(names[k]), server(leaves[k], false), tlsReq, tlsResp), 1e6)
	}
}

// tlsScenario builds the TLS captures:
//
//   - tls_c2: 40 handshakes of browsing (Go's stack, SNI, CA-signed, 12 servers) and an implant's 4 handshakes to
//     203.0.113.66:443 with a stack of its own, no SNI, TLS 1.2, a self-signed certificate (CN=c2.invalid).
//   - tls_selfsigned: the same browsing and 3 handshakes of the common stack to 203.0.113.77:8443 naming
//     update.example.com, answered with a self-signed certificate for another name (CN=localhost).
//   - tls_benign: the same browsing, the common stack connecting to an outside address without SNI (as apps
//     that connect to a bare address do), a self-signed certificate at a private address (a router's page), a
//     rare stack with SNI, and a rare stack without SNI to a private address.
//   - tls_13: the implant of tls_c2 (its groups, no SNI, self-signed certificate) negotiating TLS 1.3, which
//     hides the certificate, in a capture of only 5 handshakes: too little data to judge rarity.
func tlsScenario(t *testing.T, s *synth, name string) bool {
	const client = "10.1.1.5"
	switch name {
	case "tls_c2", "tls_selfsigned", "tls_benign":
	case "tls_13":
		ca := newCerts(t)
		browse(t, s, ca, client, epoch, 4, 50000)
		implant := rareClient()
		implant.MaxVersion = tls.VersionTLS13
		s.talk(epoch+30e9, client, "203.0.113.66", 40000, 443, tlsSession(t, implant, server(ca.leaf(t, "c2.invalid", true), true), tlsReq, tlsResp), 1e6)
		return true
	default:
		return false
	}
	ca := newCerts(t)
	browse(t, s, ca, client, epoch, 40, 50000)
	switch name {
	case "tls_c2":
		c2 := server(ca.leaf(t, "c2.invalid", true), false)
		for i := 0; i < 4; i++ {
			s.talk(epoch+int64(i)*180e9+7e9, client, "203.0.113.66", uint16(40000+i), 443, tlsSession(t, rareClient(), c2, tlsReq, tlsResp), 1e6)
		}
	case "tls_selfsigned":
		srv := server(ca.leaf(t, "localhost", true), false)
		for i := 0; i < 3; i++ {
			s.talk(epoch+int64(i)*240e9+9e9, client, "203.0.113.77", uint16(41000+i), 8443, tlsSession(t, commonClient("update.example.com"), srv, tlsReq, tlsResp), 1e6)
		}
	case "tls_benign":
		cdn := server(ca.leaf(t, "edge.example.com", false), false)
		for i := 0; i < 3; i++ {
			s.talk(epoch+int64(i)*100e9+3e9, client, "198.51.100.99", uint16(42000+i), 443, tlsSession(t, commonClient(""), cdn, tlsReq, tlsResp), 1e6)
		}
		router := server(ca.leaf(t, "router.lan", true), false)
		s.talk(epoch+50e9, client, "192.168.1.1", 42100, 443, tlsSession(t, commonClient("router.lan"), router, tlsReq, tlsResp), 1e6)
		s.talk(epoch+60e9, client, "192.168.1.1", 42101, 443, tlsSession(t, rareClient(), router, tlsReq, tlsResp), 1e6)
		rare := rareClient()
		rare.ServerName = "api.example.org"
		s.talk(epoch+70e9, client, "192.0.2.30", 42102, 443, tlsSession(t, rare, server(ca.leaf(t, "api.example.org", false), false), tlsReq, tlsResp), 1e6)
	}
	return true
}

// dnsMsg returns a DNS message with one question: a query (flags RD) or a response with rcode and no answer.
func dnsMsg(id uint16, name string, qtype uint16, response bool, rcode byte) []byte {
	b := []byte{byte(id >> 8), byte(id), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0}
	if response {
		b[2], b[3] = 0x81, 0x80|rcode
	}
	for _, l := range strings.Split(name, ".") {
		b = append(b, byte(len(l)))
		b = append(b, l...)
	}
	return append(b, 0, byte(qtype>>8), byte(qtype), 0, 1)
}

// lookup adds a DNS query from client to resolver at time t and its response 20 ms later.
func (s *synth) lookup(t int64, client, resolver string, port uint16, id uint16, name string, qtype uint16, rcode byte) {
	s.frames = append(s.frames,
		frame{t, udpDgram(client, resolver, port, 53, dnsMsg(id, name, qtype, false, 0))},
		frame{t + 20e6, udpDgram(resolver, client, 53, port, dnsMsg(id, name, qtype, true, rcode))})
}

// ordinaryNames are the names of ordinary lookups: short, under common base domains and not.
var ordinaryNames = []string{"www.example.com", "mail.example.com", "fonts.example.net", "cdn.example.org", "www.wikipedia.org",
	"en.wikipedia.org", "upload.wikimedia.org", "www.debian.org", "deb.debian.org", "security.debian.org", "go.dev",
	"proxy.golang.org", "sum.golang.org", "github.com", "api.github.com", "www.kernel.org", "news.ycombinator.com",
	"www.bbc.co.uk", "www.lemonde.fr", "duckduckgo.com", "ocsp.digicert.com", "time.cloudflare.com"}

const b32 = "abcdefghijklmnopqrstuvwxyz234567"

// word returns n characters of alphabet from the deterministic sequence seeded by seed (odd: filler uses seed|1).
func word(n int, seed uint32, alphabet string) string {
	r := filler(n, seed, true)
	for i := range r {
		r[i] = alphabet[int(r[i])%len(alphabet)]
	}
	return string(r)
}

// dnsScenario builds the DNS captures of resolver_tunnel:
//
//   - dns_direct: a dnscat2-style client talking straight to its server at 203.0.113.53 without a domain: 80
//     queries dnscat.<35 hex>.<35 hex> (TXT, MX, CNAME), every name a "base domain" of its own; next to 60
//     ordinary lookups to the local resolver.
//   - dns_spread: 60 queries to the local resolver, each <30 base32 characters>.<8 letters>.com: a base domain of
//     its own for every name, subdomains too short for dns_tunnel's one-shot rule; next to ordinary lookups.
func dnsScenario(t *testing.T, s *synth, name string) bool {
	const client, local = "10.1.1.5", "10.1.1.1"
	switch name {
	case "dns_direct":
		for i := 0; i < 80; i++ {
			data := hex.EncodeToString(filler(35, uint32(2*i+1), true))
			qt := []uint16{16, 15, 5}[i%3]
			s.lookup(epoch+int64(i)*500e6, client, "203.0.113.53", uint16(30000+i), uint16(i+1), "dnscat."+data[:35]+"."+data[35:], qt, 0)
		}
	case "dns_spread":
		for i := 0; i < 60; i++ {
			n := word(30, uint32(2*i+7), b32) + "." + word(8, uint32(2*i+1001), "abcdefghijklmnopqrstuvwxyz") + ".com"
			s.lookup(epoch+int64(i)*2e9, client, local, uint16(30000+i), uint16(i+1), n, 1, 3)
		}
	default:
		return false
	}
	for i := 0; i < 60; i++ {
		s.lookup(epoch+int64(i)*1500e6+300e6, client, local, uint16(20000+i), uint16(5000+i), ordinaryNames[i%len(ordinaryNames)], []uint16{1, 28}[i%2], 0)
	}
	return true
}

// cdnBeacon adds TestBeaconNames/cdn's beacon: a check-in to one HTTP Host every 60 s +- 3 s for 40 minutes,
// spread over four addresses (a CDN), next to ordinary browsing.
func cdnBeacon(s *synth, client string) {
	addrs := []string{"203.0.113.10", "203.0.113.11", "198.51.100.12", "198.51.100.13"}
	for i := 0; i < 40; i++ {
		t0 := epoch + int64(i)*60e9 + jitter(i, 3e9)
		s.conn(t0, client, addrs[i%4], uint16(40000+i), 80, httpGet("cdn.example.net", "/api/v1/poll?id=00ab"), httpOK(300), 1e6)
	}
	for i := 0; i < 12; i++ {
		t0 := epoch + int64(i*i)*13e9 + 5e8
		s.conn(t0, client, "192.0.2.80", uint16(50000+i), 80, httpGet("www.example.org", fmt.Sprintf("/page/%d.html", i*i*7)), httpOK(2000+i*300), 2e6)
	}
}

// moreSynthetic builds the synthetic captures of this file into s; false when name is none of them. NAME_half
// is the first half (in time) of the synthetic capture NAME: a capture whose every item its whole is a baseline
// for.
func moreSynthetic(t *testing.T, s *synth, name string) bool {
	if whole, ok := strings.CutSuffix(name, "_half"); ok {
		w := &synth{}
		fill(t, w, whole)
		if len(w.frames) == 0 {
			t.Fatalf("synthetic capture %q is empty", whole)
		}
		first, last := w.frames[0].t, w.frames[0].t
		for _, f := range w.frames {
			first, last = min(first, f.t), max(last, f.t)
		}
		for _, f := range w.frames {
			if f.t <= first+(last-first)/2 {
				s.frames = append(s.frames, f)
			}
		}
		return true
	}
	if name == "beacon_cdn" {
		cdnBeacon(s, "10.1.1.5")
		return true
	}
	return tlsScenario(t, s, name) || dnsScenario(t, s, name) || ip6Scenario(t, s, name)
}
