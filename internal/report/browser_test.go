package report

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// chromium returns the path of Debian's chromium; the test fails without it (scripts/test.sh installs it).
func chromium(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("chromium is not installed (apt-get install -y chromium; scripts/test.sh installs it)")
	return ""
}

// browser is one headless Chromium with a fresh profile, and what the page did in it.
type browser struct {
	ctx      context.Context
	mu       sync.Mutex
	problems []string // console errors, exceptions, requests, dialogs
}

func (b *browser) problem(format string, a ...any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.problems = append(b.problems, fmt.Sprintf(format, a...))
}

func (b *browser) Problems() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.problems...)
}

// newBrowser starts Chromium with the flags of the issue and listens for console errors, exceptions, dialogs and
// every network request other than the report file itself.
func newBrowser(t testing.TB, fileURL string) *browser {
	t.Helper()
	exe := chromium(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1400, 1000),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	b := &browser{ctx: ctx}
	err := chromedp.Listen(ctx, func(ev any) {
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if typ := string(e.Type); typ == "error" || typ == "assert" {
				var args []string
				for _, a := range e.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				b.problem("console %s: %s", typ, strings.Join(args, " "))
			}
		case *runtime.EventExceptionThrown:
			desc := ""
			if e.ExceptionDetails.Exception != nil {
				desc = e.ExceptionDetails.Exception.Description
			}
			b.problem("exception: %s %s", e.ExceptionDetails.Text, desc)
		case *log.EventEntryAdded:
			if string(e.Entry.Level) == "error" {
				b.problem("log error: %s %s", e.Entry.Text, e.Entry.URL)
			}
		case *network.EventRequestWillBeSent:
			if e.Request.URL != fileURL {
				b.problem("network request: %s", e.Request.URL)
			}
		case *page.EventJavascriptDialogOpening:
			b.problem("dialog %s: %q", e.Type, e.Message)
			go chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{
		call(ctx, network.Enable, network.EnableParams{}),
		call(ctx, log.Enable, cdp.Empty{}),
		call(ctx, runtime.Enable, cdp.Empty{}),
		call(ctx, page.Enable, page.EnableParams{}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return b
}

func call[P, R any](ctx context.Context, cmd cdp.Command[P, R], params P) error {
	_, err := chromedp.Call(ctx, cmd, params)
	return err
}

// openBrowser starts Chromium on the report at path and waits until its script has drawn everything. A browser
// that dies before it is up ("chrome failed to start": seen once in a full test run, with every package's tests
// loading the machine) is started again, twice at most; any other error fails the test.
func openBrowser(t testing.TB, path string) *browser {
	t.Helper()
	var err error
	for range 3 {
		b := newBrowser(t, fileURL(path))
		if err = b.open(path); err == nil {
			return b
		}
		if !strings.Contains(err.Error(), "failed to start") {
			break
		}
		t.Logf("Chromium did not start (%v): again", err)
	}
	t.Fatal(err)
	return nil
}

// open loads the report and waits until its script has drawn everything.
func (b *browser) open(path string) error {
	return chromedp.Do(b.ctx, chromedp.Navigate(fileURL(path)), chromedp.WaitVisible(chromedp.CSS(`body[data-ready="1"]`)))
}

func fileURL(path string) string {
	abs, _ := filepath.Abs(path)
	return "file://" + (&urlPath{abs}).String()
}

// urlPath escapes a file path for a file:// URL as Chromium writes it.
type urlPath struct{ p string }

func (u *urlPath) String() string {
	var sb strings.Builder
	for _, c := range []byte(u.p) {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("/-_.~!$&()*+,;=:@'", c) >= 0 {
			sb.WriteByte(c)
		} else {
			fmt.Fprintf(&sb, "%%%02X", c)
		}
	}
	return sb.String()
}

// writeReport writes the report of the captures to a file and returns its path.
func writeReport(t testing.TB, paths ...string) (string, *Data) {
	t.Helper()
	d, b := buildReport(t, paths...)
	out := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(out, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return out, d
}

// conv is a conversation as stats groups it, decoded independently with gopacket.
type conv struct {
	proto    string
	a, b     netip.Addr
	pa, pb   int // -1 without ports
	packets  int
	hasBytes bool
}

// gopacketConversations decodes a capture with gopacket (not pcapframe's decoder) and groups the IP packets into
// conversations: endpoint a is the lower (address, port).
func gopacketConversations(t testing.TB, path string) map[string]*conv {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var src gopacket.PacketDataSource
	if strings.HasSuffix(path, ".pcapng") {
		r, err := pcapgo.NewNgReader(f, pcapgo.DefaultNgReaderOptions)
		if err != nil {
			t.Fatal(err)
		}
		src = r
	} else {
		r, err := pcapgo.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		src = r
	}
	out := map[string]*conv{}
	for {
		data, _, err := src.ReadPacketData()
		if err != nil {
			break
		}
		p := gopacket.NewPacket(data, layers.LayerTypeEthernet, gopacket.Default)
		var s, d netip.Addr
		proto := ""
		switch ip := p.NetworkLayer().(type) {
		case *layers.IPv4:
			s, _ = netip.AddrFromSlice(ip.SrcIP.To4())
			d, _ = netip.AddrFromSlice(ip.DstIP.To4())
			proto = strings.ToLower(ip.Protocol.String())
		case *layers.IPv6:
			s, _ = netip.AddrFromSlice(ip.SrcIP)
			d, _ = netip.AddrFromSlice(ip.DstIP)
			proto = strings.ToLower(ip.NextHeader.String())
		default:
			continue
		}
		sp, dp := -1, -1
		switch tr := p.TransportLayer().(type) {
		case *layers.TCP:
			sp, dp = int(tr.SrcPort), int(tr.DstPort)
		case *layers.UDP:
			sp, dp = int(tr.SrcPort), int(tr.DstPort)
		}
		a, pa, b, pb := s, sp, d, dp
		if !(a.String() < b.String() || (a == b && max(pa, 0) <= max(pb, 0))) {
			a, pa, b, pb = b, pb, a, pa
		}
		k := fmt.Sprintf("%s %s %d %s %d", proto, a, pa, b, pb)
		if out[k] == nil {
			out[k] = &conv{proto: proto, a: a, b: b, pa: pa, pb: pb}
		}
		out[k].packets++
	}
	return out
}

// screenshotVariance takes a screenshot of the element and returns the share of non-white pixels and the
// variance of their luminance.
func screenshotVariance(ctx context.Context, sel string) (float64, float64, error) {
	var buf []byte
	var err error
	// Retried like do: a node may be replaced between the query and the capture, or be in the middle of a redraw
	// (0 width).
	for range 6 {
		if buf, err = chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS(sel))); err == nil || !(strings.Contains(err.Error(), "node") || strings.Contains(err.Error(), "0 width")) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		return 0, 0, err
	}
	img, err := png.Decode(bytes.NewReader(buf))
	if err != nil {
		return 0, 0, err
	}
	ink, variance := pixelStats(img)
	return ink, variance, nil
}

func pixelStats(img image.Image) (ink, variance float64) {
	bd := img.Bounds()
	var n, inked int
	var sum, sum2 float64
	for y := bd.Min.Y; y < bd.Max.Y; y++ {
		for x := bd.Min.X; x < bd.Max.X; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			l := (0.299*float64(r) + 0.587*float64(g) + 0.114*float64(b)) / 65535
			sum += l
			sum2 += l * l
			n++
			if l < 0.94 {
				inked++
			}
		}
	}
	mean := sum / float64(n)
	return float64(inked) / float64(n), sum2/float64(n) - mean*mean
}

func shown(ctx context.Context) (int, error) {
	a, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(`#conv-table`), "data-shown"))
	var n int
	fmt.Sscan(a.Value, &n)
	return n, err
}

// waitShown polls the number of conversations shown until it is want or 3 s have passed (the page redraws
// after a click asynchronously; a loaded machine can take longer than one query), and returns the last count.
func waitShown(ctx context.Context, want int) (int, error) {
	deadline := time.Now().Add(3 * time.Second)
	for {
		n, err := shown(ctx)
		if err != nil || n == want || time.Now().After(deadline) {
			return n, err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// do runs actions, retrying a few times when the page replaced a node between the query and the action (the
// charts are redrawn on every filter change).
func do(ctx context.Context, steps ...chromedp.Action[chromedp.Void]) error {
	var err error
	for range 4 {
		if err = chromedp.Do(ctx, steps...); err == nil || !strings.Contains(err.Error(), "node") {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
	return err
}

// css is a CSS selector for the first match.
func css(sel string) chromedp.CSS { return chromedp.CSS(sel) }

// TestBrowserReport opens the report of a real capture in Chromium as a user would: no console error, no
// request, every chart drawn, and clicking bars filters the conversations to the counts that gopacket's own
// decoding of the capture gives.
func TestBrowserReport(t *testing.T) {
	chromium(t)
	path, d := writeReport(t, espnCapture)
	b := openBrowser(t, path)
	ctx := b.ctx
	convs := gopacketConversations(t, espnCapture)
	if int64(len(convs)) != d.Conversations.Total {
		t.Errorf("report counts %d conversations, gopacket %d", d.Conversations.Total, len(convs))
	}
	n, err := shown(ctx)
	if err != nil || n != len(convs) {
		t.Fatalf("table shows %d rows (%v), want %d", n, err, len(convs))
	}

	t.Run("charts drawn", func(t *testing.T) {
		for _, id := range []string{"src", "dst", "sport", "dport", "talker", "service", "proto", "conversation", "timeline", "graph"} {
			sel := "#chart-" + id + " svg"
			if err := do(ctx, chromedp.ScrollIntoView(css(sel))); err != nil {
				t.Fatal(err)
			}
			ink, variance, err := screenshotVariance(ctx, sel)
			if err != nil {
				t.Fatalf("%s: %v", id, err)
			}
			if ink < 0.01 || variance < 0.002 {
				t.Errorf("%s looks blank: %.4f of the pixels inked, luminance variance %.5f", id, ink, variance)
			}
		}
	})

	t.Run("click a destination bar", func(t *testing.T) {
		if err := do(ctx, chromedp.ScrollIntoView(css(`#chart-dst`)), chromedp.Click(css(`#chart-dst g.bar[data-index="1"] rect.b`))); err != nil {
			t.Fatal(err)
		}
		key, err := chromedp.Run(ctx, chromedp.Text(css(`#filter-chip`)))
		if err != nil {
			t.Fatal(err)
		}
		addr := strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(key, "Filter: destination address: "), "×"))
		want := 0
		for _, c := range convs {
			if c.a.String() == addr || c.b.String() == addr {
				want++
			}
		}
		if second := d.Charts[1].Sets["payload"].Bars[1].Key; addr != second {
			t.Errorf("filter %q is not the second destination bar %q", addr, second)
		}
		got, err := waitShown(ctx, want)
		if err != nil || got != want || want == len(convs) {
			t.Errorf("after clicking %s the table shows %d rows (%v), want %d (of %d)", addr, got, err, want, len(convs))
		}
		// Clicking the same bar again removes the filter.
		if err := do(ctx, chromedp.Click(css(`#chart-dst g.bar.selected rect.b`))); err != nil {
			t.Fatal(err)
		}
		if got, _ := waitShown(ctx, len(convs)); got != len(convs) {
			t.Errorf("after clicking again the table shows %d rows, want all %d", got, len(convs))
		}
	})

	t.Run("click a port bar", func(t *testing.T) {
		// The source-port chart's first bar is 80/tcp: conversations with port 80 on either side.
		if key := d.Charts[2].Sets["payload"].Bars[0].Key; key != "80/tcp" {
			t.Fatalf("first source-port bar is %q", key)
		}
		if err := do(ctx, chromedp.ScrollIntoView(css(`#chart-sport`)), chromedp.Click(css(`#chart-sport g.bar[data-index="0"] rect.b`))); err != nil {
			t.Fatal(err)
		}
		want := 0
		for _, c := range convs {
			if c.proto == "tcp" && (c.pa == 80 || c.pb == 80) {
				want++
			}
		}
		if got, err := waitShown(ctx, want); err != nil || got != want {
			t.Errorf("80/tcp: %d rows (%v), want %d", got, err, want)
		}
		if err := do(ctx, chromedp.Click(css(`#filter-chip button`))); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("search and sort", func(t *testing.T) {
		addr := "63.85.36.72"
		want := 0
		for _, c := range convs {
			if c.a.String() == addr || c.b.String() == addr {
				want++
			}
		}
		if err := do(ctx, chromedp.ScrollIntoView(css(`#conv-search`)), chromedp.SendKeys(css(`#conv-search`), addr)); err != nil {
			t.Fatal(err)
		}
		if got, _ := waitShown(ctx, want); got != want {
			t.Errorf("search %s: %d rows, want %d", addr, got, want)
		}
		if err := do(ctx,
			chromedp.Evaluate[chromedp.Void](`(function(){var e=document.getElementById('conv-search'); e.value=''; e.dispatchEvent(new Event('input'));})()`),
			chromedp.Click(css(`#conv-table th[data-col="6"]`))); err != nil {
			t.Fatal(err)
		}
		first, err := chromedp.Run(ctx, chromedp.Text(css(`#conv-table tbody tr:first-child td:nth-child(7)`)))
		if err != nil {
			t.Fatal(err)
		}
		maxBytes := int64(0)
		for _, r := range d.Conversations.Rows {
			maxBytes = max(maxBytes, r[6].(int64))
		}
		if strings.ReplaceAll(first, ",", "") != fmt.Sprint(maxBytes) {
			t.Errorf("sorted by bytes, the first row has %s bytes, want %d", first, maxBytes)
		}
	})

	t.Run("zoom the timeline", func(t *testing.T) {
		if err := do(ctx, chromedp.ScrollIntoView(css(`#chart-timeline svg`))); err != nil {
			t.Fatal(err)
		}
		box, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(function(){var r=document.querySelector('#chart-timeline svg').getBoundingClientRect();return [r.left,r.top,r.width,r.height]})()`))
		if err != nil {
			t.Fatal(err)
		}
		y := box[1] + box[3]/2
		x0, x1 := box[0]+box[2]*0.3, box[0]+box[2]*0.5
		if err := do(ctx,
			chromedp.MouseEvent(chromedp.MouseMoved, x0, y),
			chromedp.MouseEvent(chromedp.MousePressed, x0, y, chromedp.ButtonLeft, chromedp.ClickCount(1)),
			chromedp.MouseEvent(chromedp.MouseMoved, (x0+x1)/2, y, chromedp.ButtonLeft),
			chromedp.MouseEvent(chromedp.MouseMoved, x1, y, chromedp.ButtonLeft),
			chromedp.MouseEvent(chromedp.MouseReleased, x1, y, chromedp.ButtonLeft, chromedp.ClickCount(1)),
		); err != nil {
			t.Fatal(err)
		}
		title, err := chromedp.Run(ctx, chromedp.Text(css(`#chart-timeline h3`)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := chromedp.Run(ctx, chromedp.Text(css(`#range-chip`))); err != nil {
			t.Fatal(err)
		}
		got, _ := shown(ctx)
		if !strings.Contains(title, "zoomed") || got >= len(convs) {
			t.Errorf("after zooming: title %q, %d of %d rows", title, got, len(convs))
		}
		if err := do(ctx, chromedp.Evaluate[chromedp.Void](`document.getElementById('reset-zoom').click()`)); err != nil {
			t.Fatal(err)
		}
		if got, _ := waitShown(ctx, len(convs)); got != len(convs) {
			t.Errorf("after reset: %d rows, want %d", got, len(convs))
		}
	})

	if p := b.Problems(); len(p) > 0 {
		t.Errorf("the page had problems:\n%s", strings.Join(p, "\n"))
	}
}

// TestBrowserHostile opens the report of the hostile capture (under a hostile file name): the strings appear as
// text, no element or handler from the capture exists, no dialog opens and nothing is requested.
func TestBrowserHostile(t *testing.T) {
	chromium(t)
	capPath := hostileCopy(t)
	path, _ := writeReport(t, capPath)
	b := openBrowser(t, path)
	text, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.body.textContent`))
	if err != nil {
		t.Fatal(err)
	}
	injected, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll('img, iframe, object, embed, [onload], [onerror], [onclick]').length + document.scripts.length - 2`))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range hostileStrings {
		if !strings.Contains(text, s) {
			t.Errorf("hostile string %q is not shown as text", s)
		}
	}
	if !strings.Contains(text, filepath.Base(capPath)) {
		t.Errorf("hostile file name not shown as text")
	}
	if injected != 0 {
		t.Errorf("%d elements or handlers were injected", injected)
	}
	// The capture summary shows the interfaces and link types as text: the hostile interface name in a list
	// item with its link type named, no JSON.
	ifaces, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('#summary table.info ul.ifaces li')).map(function (e) { return e.textContent; })`))
	if err != nil {
		t.Fatal(err)
	}
	summary, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.querySelector('#summary table.info').textContent`))
	if err != nil {
		t.Fatal(err)
	}
	if len(ifaces) != 1 || !strings.Contains(ifaces[0], "eth0"+hostileStrings[0]) || !strings.Contains(ifaces[0], "Ethernet (1)") {
		t.Errorf("interfaces shown as %q, want one item naming eth0%s and Ethernet (1)", ifaces, hostileStrings[0])
	}
	for _, raw := range []string{`{"`, `":`, `[{`} {
		if strings.Contains(summary, raw) {
			t.Errorf("the capture summary shows JSON (%q): %q", raw, summary)
		}
	}
	// Hover and click everything a user could, so that any injected handler would fire.
	if err := chromedp.Do(b.ctx, chromedp.Evaluate[chromedp.Void](`(function(){
		document.querySelectorAll('g.bar, circle.node, path.edge, button').forEach(function(e){
			['mousemove','click','mouseleave'].forEach(function(t){ e.dispatchEvent(new MouseEvent(t,{bubbles:true,clientX:10,clientY:10})); });
		}); })()`), chromedp.Sleep(300*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if p := b.Problems(); len(p) > 0 {
		t.Errorf("the page had problems:\n%s", strings.Join(p, "\n"))
	}
}

// BenchmarkBrowserOpen measures how long Chromium takes to open a report and draw it (load, parse the data,
// draw every chart and table). PCAPFRAME_REPORT names a report to open instead of the one made from the
// test capture (scripts/report-bench.sh passes the large capture's report).
func BenchmarkBrowserOpen(b *testing.B) {
	chromium(b)
	path := os.Getenv("PCAPFRAME_REPORT")
	if path == "" {
		path, _ = writeReport(b, espnCapture)
	}
	br := newBrowser(b, fileURL(path))
	b.ReportAllocs()
	var total time.Duration
	n := 0
	for b.Loop() {
		start := time.Now()
		if err := br.open(path); err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
		n++
		if err := chromedp.Do(br.ctx, chromedp.Navigate("about:blank")); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(n), "ms/open")
	if fi, err := os.Stat(path); err == nil {
		b.ReportMetric(float64(fi.Size())/1e6, "MB/page")
	}
}

// TestBrowserDetectors checks that the browser tests can fail: a page that requests an image, logs an error,
// throws and opens an alert is caught on all four counts.
func TestBrowserDetectors(t *testing.T) {
	chromium(t)
	path := filepath.Join(t.TempDir(), "bad.html")
	bad := `<!DOCTYPE html><html><body><img src="http://127.0.0.1:9/x.png">` +
		`<script>console.error("bad"); setTimeout(function(){ alert(1) }, 0); document.body.setAttribute("data-ready", "1"); null.x;</script></body></html>`
	if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, fileURL(path))
	if err := chromedp.Do(b.ctx, chromedp.Navigate(fileURL(path)), chromedp.Sleep(500*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(b.Problems(), "\n")
	for _, want := range []string{"network request: http://127.0.0.1:9/x.png", "console error", "exception", "dialog alert"} {
		if !strings.Contains(got, want) {
			t.Errorf("problem %q not detected; got:\n%s", want, got)
		}
	}
}

// TestBrowserLabelsKeepPorts opens the report of the notebook capture in a narrow window, where the conversation
// chart's labels do not fit: each label is shortened in its addresses only, keeps both ports of its conversation
// (taken from the chart's data, not from the page), and carries the full label as its title for the hover. The
// top-ports tables print port numbers without thousands separators (7070, not 7,070).
func TestBrowserLabelsKeepPorts(t *testing.T) {
	chromium(t)
	path, d := writeReport(t, "../../testdata/pcaps/seed__find_the_image.pcap")
	b := newBrowser(t, fileURL(path))
	if err := chromedp.Do(b.ctx, chromedp.EmulateViewport(700, 1000)); err != nil {
		t.Fatal(err)
	}
	if err := b.open(path); err != nil {
		t.Fatal(err)
	}
	ctx := b.ctx
	var conv *Chart
	for i := range d.Charts {
		if d.Charts[i].ID == "conversation" {
			conv = &d.Charts[i]
		}
	}
	if conv == nil {
		t.Fatal("no conversation chart in the report's data")
	}
	bars := conv.Sets["payload"].Bars
	type label struct{ Shown, Title string }
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[]label](`Array.from(document.querySelectorAll('#chart-conversation g.bar:not(.other) text.lbl')).map(function (e) {
		var t = e.querySelector('title');
		return {Shown: e.firstChild.nodeValue, Title: t ? t.textContent : ''};
	})`))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(bars) || len(bars) == 0 {
		t.Fatalf("%d labels drawn, the data has %d bars", len(got), len(bars))
	}
	shortened, with7070 := 0, false
	for i, l := range got {
		full := bars[i].Key
		pa, pb := fmt.Sprint(bars[i].Match["port_a"]), fmt.Sprint(bars[i].Match["port_b"])
		if l.Shown != full {
			shortened++
			if l.Title != full {
				t.Errorf("bar %d: shortened to %q, its title %q is not the full label %q", i, l.Shown, l.Title, full)
			}
		}
		sides := strings.Split(l.Shown, " \u2194 ")
		if len(sides) != 2 || !strings.HasSuffix(sides[0], ":"+pa) || !strings.HasSuffix(sides[1], ":"+pb) {
			t.Errorf("bar %d: label %q does not keep the ports %s and %s of %q", i, l.Shown, pa, pb, full)
		}
		with7070 = with7070 || pa == "7070" || pb == "7070"
	}
	if shortened == 0 {
		t.Errorf("no label was shortened at this width: the test does not exercise the shortening (labels %v)", got)
	}
	if !with7070 {
		t.Errorf("no conversation on port 7070 among the bars %v", bars)
	}

	// The top-ports tables: every cell of a port column is the number as it is.
	cells, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(function () {
		var out = [];
		['stat-dport', 'stat-sport', 'stat-services', 'stat-talker_ports'].forEach(function (id) {
			var t = document.querySelector('#' + id + ' table');
			if (!t) return;
			var heads = Array.from(t.querySelectorAll('thead th')).map(function (th) { return th.textContent; });
			Array.from(t.querySelectorAll('tbody tr')).forEach(function (tr) {
				heads.forEach(function (h, i) { if (/^(port|sport|dport)$|_port$/.test(h)) out.push(tr.children[i].textContent); });
			});
		});
		return out;
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range cells {
		if _, err := fmt.Sscanf(c, "%d", new(int)); err != nil || strings.ContainsAny(c, ", ") {
			t.Errorf("port cell %q is not a plain number", c)
		}
		found = found || c == "7070"
	}
	if len(cells) == 0 || !found {
		t.Errorf("the port tables show %v: want port 7070 among them", cells)
	}
	if p := b.Problems(); len(p) > 0 {
		t.Errorf("the page had problems:\n%s", strings.Join(p, "\n"))
	}
}
