package decode

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pcapframe/pcapframe/internal/netnstest"
)

// randomFile returns n bytes from a fixed seed (they do not compress: a tunnel's compression cannot hide a
// decoding error).
func randomFile(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 99))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.IntN(256))
	}
	return b
}

// TestDNS2TCPRealDown transfers a known file DOWN through the real dns2tcp (Debian's dns2tcpd and dns2tcpc,
// v0.5.2) on loopback, and another up at the same time: the server on the test's own 127.x.y.z:53 forwards the
// resource to a TCP server of the test that writes the file and reads what comes; the test writes the other file
// to the client's local TCP port and reads; the DNS traffic is captured on lo, the responses are read back with
// ReadResponses, and DecodeDown must give the bytes the client received, which must be the file sent down; Decode
// must give the bytes the resource received, the file sent up.
func TestDNS2TCPRealDown(t *testing.T) {
	for _, tool := range []string{"dns2tcpd", "dns2tcpc"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed (apt-get install -y dns2tcp): %v", tool, err)
		}
	}
	file, upFile := randomFile(5000, 5), randomFile(1500, 6)
	src, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	received := make(chan []byte, 1)
	go func() {
		c, err := src.Accept()
		if err != nil {
			received <- nil
			return
		}
		defer c.Close()
		c.Write(file)
		var got []byte
		buf := make([]byte, 4096)
		c.SetReadDeadline(time.Now().Add(60 * time.Second))
		for len(got) < len(upFile) {
			n, err := c.Read(buf)
			got = append(got, buf[:n]...)
			if err != nil {
				break
			}
		}
		received <- got
		time.Sleep(5 * time.Second) // keep the connection until the client has read it all
	}()
	addr, dir := loopAddr(), t.TempDir()
	const domain = "down.exfil.test"
	conf := fmt.Sprintf("listen = %s\nport = 53\nuser = nobody\nchroot = /tmp\ndomain = %s\nresources = src:127.0.0.1:%d\n",
		addr, domain, src.Addr().(*net.TCPAddr).Port)
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
	cli := exec.CommandContext(ctx, "dns2tcpc", "-z", domain, "-r", "src", "-l", strconv.Itoa(port), addr)
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
	if _, err := conn.Write(upFile); err != nil {
		t.Fatal(err)
	}
	var got []byte
	buf := make([]byte, 4096)
	conn.SetReadDeadline(time.Now().Add(60 * time.Second))
	for len(got) < len(file) {
		n, err := conn.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			break
		}
	}
	upGot := <-received
	conn.Close()
	path, captured := stop()
	if !bytes.Equal(got, file) || !bytes.Equal(upGot, upFile) {
		t.Fatalf("the client received %d bytes of the %d sent down, the resource %d of the %d sent up (server: %s client: %s)",
			len(got), len(file), len(upGot), len(upFile), srvOut.String(), cliOut.String())
	}
	rs, err := ReadResponses(context.Background(), []string{path}, domain)
	if err != nil {
		t.Fatal(err)
	}
	r, err := DecodeDown(rs, Options{Domain: domain})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d frames captured, %d responses, %d chunks, %d duplicates, %d missing", captured, r.Queries, r.Chunks, r.Duplicates, r.Missing)
	if r.Tool != ToolDNS2TCP || r.Direction != Down || !bytes.Equal(r.Data, file) {
		t.Errorf("tool %s direction %s: %d bytes decoded, want the %d sent (notes %q)", r.Tool, r.Direction, len(r.Data), len(file), r.Notes)
	}
	qs, err := ReadQueries(context.Background(), []string{path})
	if err != nil {
		t.Fatal(err)
	}
	u, err := Decode(qs, Options{Domain: domain})
	if err != nil {
		t.Fatal(err)
	}
	if u.Tool != ToolDNS2TCP || u.Direction != Up || !bytes.Equal(u.Data, upFile) {
		t.Errorf("up: tool %s direction %s: %d bytes decoded, want the %d sent (notes %q)", u.Tool, u.Direction, len(u.Data), len(upFile), u.Notes)
	}
}

// TestIodineRealDown transfers a known file DOWN through the real iodine (Debian's iodined and iodine, 0.7.0),
// once per DNS type the client can be told to use (-T) and downstream codec (-O): NULL (raw answers, iodine's
// default), TXT (raw after its codec character, base32, base64, base128), CNAME (host names in base128, base32,
// base64, base64u), MX, A (answered with a CNAME): every codec character of its downstream. The server runs in a network namespace the test creates, reached over a veth pair; once the
// tunnel is up, a shell in the server's namespace sends the file to the client's tunnel address as UDP datagrams
// of 1000 bytes (dd), which the test receives through the tunnel; the DNS on the veth is captured, and the
// datagrams DecodeDown finds in the IP packets it rebuilds (valid IPv4 header checksums, from the server's tunnel
// address to the port) must be the file.
func TestIodineRealDown(t *testing.T) {
	for _, tool := range []string{"iodine", "iodined", "ip", "bash", "dd"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed (apt-get install -y iodine iproute2): %v", tool, err)
		}
	}
	for i, c := range []struct{ typ, enc string }{
		{"NULL", ""}, {"TXT", ""}, {"TXT", "Base32"}, {"TXT", "Base64"}, {"TXT", "Base128"},
		{"CNAME", ""}, {"CNAME", "Base32"}, {"CNAME", "Base64"}, {"CNAME", "Base64u"}, {"MX", ""}, {"A", ""},
	} {
		t.Run(c.typ+c.enc, func(t *testing.T) {
			t.Parallel() // each in its own namespace, veth, addresses and tun device: the handshakes overlap
			iodineDown(t, c.typ, c.enc, i)
		})
	}
}

var tunIPRE = regexp.MustCompile(`Setting IP of \S+ to (\d+\.\d+\.\d+\.\d+)`)

func iodineDown(t *testing.T, typ, enc string, k int) {
	id := (os.Getpid() + k) % 10000
	ns, a, tun := fmt.Sprintf("pfdn%d", id), fmt.Sprintf("pda%d", id), fmt.Sprintf("pfdt%d", id)
	net4 := fmt.Sprintf("10.233.%d", 10+k)
	netnstest.Veth(t, ns, a, fmt.Sprintf("pdb%d", id), net4)
	domain := strings.ToLower(typ+enc) + ".down.exfil.test"
	tunNet := fmt.Sprintf("10.78.%d", k)
	stop := captureOn(t, a, "udp and port 53")
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	var args []string
	if typ != "NULL" {
		args = append(args, "-T", typ)
	}
	if enc != "" {
		args = append(args, "-O", enc)
	}
	srvOut, cliOut := startIodine(ctx, t, ns, net4+".2", tunNet, domain, tun, args, 60*time.Second)
	m := tunIPRE.FindStringSubmatch(cliOut.String())
	if m == nil {
		t.Fatalf("the client did not say its tunnel address: %s", cliOut.String())
	}
	clientIP := m[1]
	pc, err := net.ListenPacket("udp4", clientIP+":9999")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	file := randomFile(4000, uint64(7+k))
	fp := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(fp, file, 0o644); err != nil {
		t.Fatal(err)
	}
	// one datagram per dd block, a pause between them so that the tunnel's queue never drops one
	script := fmt.Sprintf("exec 3>/dev/udp/%s/9999; for i in 0 1 2 3; do dd if=%s bs=1000 skip=$i count=1 status=none >&3; sleep 0.7; done", clientIP, fp)
	if out, err := exec.CommandContext(ctx, "ip", "netns", "exec", ns, "bash", "-c", script).CombinedOutput(); err != nil {
		t.Fatalf("sending the file from the server's namespace: %v: %s", err, out)
	}
	var got []byte
	buf := make([]byte, 2048)
	pc.SetReadDeadline(time.Now().Add(10 * time.Second))
	for len(got) < len(file) {
		n, _, err := pc.ReadFrom(buf)
		if err != nil {
			break
		}
		got = append(got, buf[:n]...)
	}
	time.Sleep(time.Second)
	path, captured := stop()
	if !bytes.Equal(got, file) {
		t.Fatalf("the client received %d bytes through the tunnel, not the %d sent\nserver: %s\nclient: %s", len(got), len(file), srvOut.String(), cliOut.String())
	}
	rs, err := ReadResponses(context.Background(), []string{path}, domain)
	if err != nil {
		t.Fatal(err)
	}
	r, err := DecodeDown(rs, Options{Domain: domain})
	if err != nil {
		t.Fatal(err)
	}
	var data []byte
	dgrams := 0
	for _, p := range r.Packets {
		d := p.Data
		if len(d) < 28 || d[0]>>4 != 4 || d[9] != 17 || ipChecksum(d[:int(d[0]&15)*4]) != 0 {
			continue
		}
		h := int(d[0]&15) * 4
		if net.IP(d[12:16]).String() == tunNet+".1" && binary.BigEndian.Uint16(d[h+2:]) == 9999 {
			data = append(data, d[h+8:]...)
			dgrams++
		}
	}
	t.Logf("%s %s: %d frames captured, %d responses, codec %s, %d packets decoded, %d datagrams to the port", typ, enc, captured, r.Queries, r.Encoding, len(r.Packets), dgrams)
	if r.Tool != ToolIodine || !bytes.Equal(data, file) {
		t.Errorf("tool %s: %d bytes in %d datagrams decoded, want the %d sent (notes %q)", r.Tool, len(data), dgrams, len(file), r.Notes)
	}
}
