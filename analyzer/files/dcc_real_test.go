package files

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pcapframe/pcapframe/internal/livetest"
	"github.com/pcapframe/pcapframe/pipeline"
)

// TestDCCReal plays a real IRC DCC SEND on loopback: an ngIRCd server and two WeeChat clients (weechat-headless,
// Debian's packages); alice offers a file to bob with /dcc send, bob's client accepts it (xfer.file.
// auto_accept_files) and receives it; the file's name has a space (xfer.file.convert_spaces off: the offer
// quotes it). The capture (package live) must give one files row for the transfer:
// IRC_DATA, the offer's file name and size, complete, with the SHA-256 of the file bob received, which must be
// the file sent. Needs root or CAP_NET_RAW (capture) and the two packages: without them the test fails and says so.
func TestDCCReal(t *testing.T) {
	for _, tool := range []string{"ngircd", "weechat-headless"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed (apt-get install -y ngircd weechat-headless weechat-plugins): %v", tool, err)
		}
	}
	dir := t.TempDir()
	l, err := net.Listen("tcp4", "127.0.0.1:0") // a free port for the server
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	conf := filepath.Join(dir, "ngircd.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf("[Global]\nName = irc.pcapframe.test\nInfo = pcapframe test\nListen = 127.0.0.1\nPorts = %d\nPidFile = %s\nMotdPhrase = test\n[Options]\nPAM = no\nIdent = no\nDNS = no\n",
		port, filepath.Join(dir, "ngircd.pid"))), 0o644); err != nil {
		t.Fatal(err)
	}
	file := make([]byte, 200_000)
	rng := rand.New(rand.NewPCG(11, 12))
	for i := range file {
		file[i] = byte(rng.IntN(256))
	}
	sent := filepath.Join(dir, "holiday photo.bin")
	if err := os.WriteFile(sent, file, 0o644); err != nil {
		t.Fatal(err)
	}
	recv := filepath.Join(dir, "recv")
	if err := os.Mkdir(recv, 0o755); err != nil {
		t.Fatal(err)
	}

	stop := livetest.Capture(t, "lo", "tcp and host 127.0.0.1")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	// start starts a program, its output to the file log (killed when the test ends).
	start := func(log, name string, args ...string) {
		t.Helper()
		out, err := os.Create(filepath.Join(dir, log))
		if err != nil {
			t.Fatal(err)
		}
		c := exec.CommandContext(ctx, name, args...)
		c.Stdout, c.Stderr = out, out
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Process.Kill(); c.Wait(); out.Close() })
	}
	logHas := func(log, s string) bool {
		b, _ := os.ReadFile(filepath.Join(dir, log))
		return strings.Contains(string(b), s)
	}
	start("ngircd.log", "ngircd", "-n", "-f", conf)
	waitFor(t, 10*time.Second, "the IRC server to listen", func() bool {
		c, err := net.Dial("tcp4", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	server := fmt.Sprintf("/server add t 127.0.0.1/%d -notls", port)
	start("bob.log", "weechat-headless", "--dir", filepath.Join(dir, "bob"), "--stdout", "-r",
		"/set xfer.file.auto_accept_files on;/set xfer.file.download_path "+recv+";/set xfer.network.own_ip 127.0.0.1;"+server+";/set irc.server.t.nicks bob;/connect t")
	waitFor(t, 20*time.Second, "bob to log in", func() bool { return logHas("ngircd.log", `User "bob!`) })
	start("alice.log", "weechat-headless", "--dir", filepath.Join(dir, "alice"), "--stdout", "-r",
		"/set xfer.network.own_ip 127.0.0.1;/set xfer.file.convert_spaces off;"+server+";/set irc.server.t.nicks alice;/connect t;/wait 5 /command -buffer irc.server.t irc /dcc send bob "+sent)
	var got []byte
	waitFor(t, 40*time.Second, "bob to receive the file", func() bool {
		ents, _ := os.ReadDir(recv)
		for _, e := range ents {
			if b, err := os.ReadFile(filepath.Join(recv, e.Name())); err == nil && len(b) == len(file) {
				got = b
				return true
			}
		}
		return false
	})
	if string(got) != string(file) {
		t.Fatal("bob received other bytes than alice sent")
	}
	time.Sleep(time.Second)
	path, n := stop()

	var rows []Row
	a := New(func(r *Row) error { rows = append(rows, *r); return nil })
	d := newDriver(a)
	if err := pipeline.Run(context.Background(), []string{path}, pipeline.Options{Workers: 1}, d.Batch); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(file)
	found := 0
	for _, r := range rows {
		if r.Source != "IRC_DATA" {
			continue
		}
		found++
		if r.Filename != "holiday photo.bin" || r.TotalBytes != int64(len(file)) || r.SeenBytes != int64(len(file)) || !r.Complete ||
			r.SHA256 != hex.EncodeToString(sum[:]) || r.FromOrig {
			t.Errorf("row %+v", r)
		}
	}
	if found != 1 {
		t.Fatalf("%d IRC_DATA rows in %d captured frames (%d rows in all), want 1", found, n, len(rows))
	}
}

// waitFor polls ok every 100 ms until it holds, or fails the test after limit.
func waitFor(t *testing.T, limit time.Duration, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(limit); !ok(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
