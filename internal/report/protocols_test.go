package report

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// Hostile strings of the crafted HTTP capture: in the User-Agent, the Host header, the Basic credentials and the
// body.
const (
	hostileUA   = `<script>alert(1)</script>"'`
	hostileHost = `<img src=x onerror=alert(3)>.example`
	hostileUser = `<svg onload=alert(2)>`
	hostilePass = `p<b>w</b>&amp;d`
)

// craftHTTP writes, with gopacket, a capture of one HTTP/1.1 exchange over TCP (handshake, a GET with hostile
// headers and Basic credentials, a 200 response with an HTML body, the close) and returns its path.
func craftHTTP(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hostile-http.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := pcapgo.NewWriter(f)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	client, server := net.IPv4(10, 0, 0, 1).To4(), net.IPv4(10, 0, 0, 2).To4()
	cmac, smac := net.HardwareAddr{2, 0, 0, 0, 0, 1}, net.HardwareAddr{2, 0, 0, 0, 0, 2}
	start := time.Unix(1700000000, 0)
	cseq, sseq := uint32(1000), uint32(5000)
	n := 0
	send := func(fromClient bool, flags string, payload []byte) {
		eth := &layers.Ethernet{SrcMAC: cmac, DstMAC: smac, EthernetType: layers.EthernetTypeIPv4}
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: client, DstIP: server}
		tcp := &layers.TCP{SrcPort: 40000, DstPort: 80, Seq: cseq, Ack: sseq, Window: 65535}
		if !fromClient {
			eth.SrcMAC, eth.DstMAC = smac, cmac
			ip.SrcIP, ip.DstIP = server, client
			tcp.SrcPort, tcp.DstPort, tcp.Seq, tcp.Ack = 80, 40000, sseq, cseq
		}
		tcp.SYN, tcp.ACK, tcp.FIN, tcp.PSH = strings.Contains(flags, "S"), strings.Contains(flags, "A"), strings.Contains(flags, "F"), len(payload) > 0
		if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
			t.Fatal(err)
		}
		buf := gopacket.NewSerializeBuffer()
		if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, tcp, gopacket.Payload(payload)); err != nil {
			t.Fatal(err)
		}
		b := buf.Bytes()
		n++
		ci := gopacket.CaptureInfo{Timestamp: start.Add(time.Duration(n) * 10 * time.Millisecond), CaptureLength: len(b), Length: len(b)}
		if err := w.WritePacket(ci, b); err != nil {
			t.Fatal(err)
		}
		adv := uint32(len(payload))
		if tcp.SYN || tcp.FIN {
			adv++
		}
		if fromClient {
			cseq += adv
		} else {
			sseq += adv
		}
	}
	body := `<script>alert(4)</script><h1>hi</h1>`
	req := "GET /?q=<b>x</b> HTTP/1.1\r\nHost: " + hostileHost + "\r\nUser-Agent: " + hostileUA +
		"\r\nAuthorization: Basic " + base64.StdEncoding.EncodeToString([]byte(hostileUser+":"+hostilePass)) + "\r\n\r\n"
	resp := "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
	send(true, "S", nil)
	send(false, "SA", nil)
	send(true, "A", nil)
	send(true, "A", []byte(req))
	send(false, "A", []byte(resp))
	send(true, "FA", nil)
	send(false, "FA", nil)
	send(true, "A", nil)
	return path
}

// statsOf decodes the report's statistics into name -> rows.
func statsOf(t testing.TB, d *Data) map[string][]map[string]any {
	t.Helper()
	var st struct {
		Sections []struct {
			Name string           `json:"name"`
			Rows []map[string]any `json:"rows"`
		} `json:"sections"`
	}
	if err := json.Unmarshal(d.Stats, &st); err != nil {
		t.Fatal(err)
	}
	out := map[string][]map[string]any{}
	for _, s := range st.Sections {
		out[s.Name] = s.Rows
	}
	return out
}

// TestProtocolSectionsHostile builds the report of the crafted HTTP capture: the HTTP, files and credentials
// sections carry the capture's strings as data (the User-Agent as tshark reads it), and the page holds none of
// them as markup.
func TestProtocolSectionsHostile(t *testing.T) {
	capPath := craftHTTP(t)
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Fatal("tshark is needed for this test (apt-get install -y tshark)")
	}
	out, err := exec.Command("tshark", "-n", "-r", capPath, "-Y", "http.request", "-T", "fields", "-e", "http.user_agent", "-e", "http.authbasic").Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	ts := strings.Split(strings.TrimSpace(string(out)), "\t")
	if len(ts) != 2 || ts[0] != hostileUA || ts[1] != hostileUser+":"+hostilePass {
		t.Fatalf("tshark reads the request as %q, want UA %q and credentials %q", ts, hostileUA, hostileUser+":"+hostilePass)
	}
	d, page := buildReport(t, capPath)
	st := statsOf(t, d)
	check := func(section, col, want string, count string, n float64) {
		t.Helper()
		rows := st[section]
		if len(rows) != 1 || rows[0][col] != want || (count != "" && rows[0][count] != n) {
			t.Errorf("section %s: %v, want one row with %s = %q (%s %v)", section, rows, col, want, count, n)
		}
	}
	check("http_user_agents", "user_agent", ts[0], "requests", 1)
	check("http_hosts", "host", hostileHost, "requests", 1)
	check("http_methods", "method", "GET", "requests", 1)
	check("http_status", "status", "200", "responses", 1)
	check("files_types", "mime_type", "text/html", "files", 1)
	check("credentials_protocols", "protocol", "http", "credentials", 1)
	check("credentials_seen", "username", hostileUser, "", 0)
	check("credentials_seen", "password", hostilePass, "", 0)
	for _, bad := range []string{"<script>alert", "<svg", "<img", "<b>w</b>", "<h1>"} {
		if bytes.Contains(page, []byte(bad)) {
			t.Errorf("the page contains raw %q", bad)
		}
	}
}

// TestBrowserProtocolsHostile opens the report of the crafted HTTP capture in Chromium: the hostile strings are
// shown as text, nothing is injected, and the credentials are shown only after a click on their details element.
func TestBrowserProtocolsHostile(t *testing.T) {
	chromium(t)
	path, _ := writeReport(t, craftHTTP(t))
	b := openBrowser(t, path)
	visible, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.body.innerText`))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{hostileUA, hostileHost, "HTTP: top user agents", "Credentials seen in clear, per protocol"} {
		if !strings.Contains(visible, s) {
			t.Errorf("%q is not shown as text", s)
		}
	}
	if strings.Contains(visible, hostilePass) || strings.Contains(visible, hostileUser) {
		t.Errorf("the credentials are visible before a click")
	}
	injected, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll('img, iframe, object, embed, svg [onload], [onload], [onerror], [onclick]').length + document.scripts.length - 2`))
	if err != nil {
		t.Fatal(err)
	}
	if injected != 0 {
		t.Errorf("%d elements or handlers were injected", injected)
	}
	open, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`(function(){ var d = document.querySelector('#stat-credentials_seen details.secret'); if (!d || d.open) return false; d.querySelector('summary').click(); return d.open; })()`))
	if err != nil {
		t.Fatal(err)
	}
	if !open {
		t.Fatal("no closed details element holds the credentials, or a click does not open it")
	}
	visible, err = chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.querySelector('#stat-credentials_seen').innerText`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(visible, hostileUser) || !strings.Contains(visible, hostilePass) {
		t.Errorf("after the click the credentials section shows %q, want %q and %q as text", visible, hostileUser, hostilePass)
	}
	// The hunting section's cleartext_credentials finding names the user: it too shows only after a click.
	n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`(function(){ var ds = document.querySelectorAll('#findings details.secret'); ds.forEach(function (d) { d.querySelector('summary').click(); }); return ds.length; })()`))
	if err != nil {
		t.Fatal(err)
	}
	visible, err = chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.querySelector('#findings').innerText`))
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 || !strings.Contains(visible, hostileUser) || strings.Contains(visible, hostilePass) {
		t.Errorf("hunting: %d closed details; after a click the findings show %q, want the user %q as text and never the password", n, visible, hostileUser)
	}
	if p := b.Problems(); len(p) > 0 {
		t.Errorf("the page had problems:\n%s", strings.Join(p, "\n"))
	}
}
