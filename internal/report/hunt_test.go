package report

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/pcapframe/pcapframe/internal/query"
)

// TestHuntingSection checks the report's hunting section: on iodine's capture (the corpus MANIFEST labels it a
// DNS tunnel under pirate.sea) the page's data lists a dns_tunnel finding for pirate.sea with the decode command;
// on the notebook's capture loaded with the flows table, the 7070 transfer after the chat on 5050 (the notebook's
// story) is an unknown_bulk finding with the commands that carve and decode it.
func TestHuntingSection(t *testing.T) {
	d, b := buildReport(t, filepath.Join("..", "..", "testdata", "pcaps", "ndpi__dns-tunnel-iodine.pcap"))
	if d.Hunting == nil {
		t.Fatal("no hunting section")
	}
	var found bool
	for _, f := range d.Hunting.Findings {
		if f.Detector == "dns_tunnel" && f.Target == "pirate.sea" {
			found = slices.ContainsFunc(f.Commands, func(c string) bool {
				return strings.Contains(c, "pcapframe decode ndpi__dns-tunnel-iodine.pcap --domain pirate.sea")
			})
		}
	}
	if !found {
		t.Errorf("no dns_tunnel finding for pirate.sea with its decode command: %+v", d.Hunting)
	}
	if !bytes.Contains(b, []byte(`"hunting":{"findings":[`)) {
		t.Error("the page's data lacks the hunting section")
	}

	ctx := context.Background()
	e, err := query.Open(ctx, query.Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	seed := filepath.Join("..", "..", "testdata", "pcaps", "seed__find_the_image.pcap")
	if _, err := e.Load(ctx, []string{seed}, query.LoadOptions{Tables: append(query.StatsTables(nil), "flows")}); err != nil {
		t.Fatal(err)
	}
	h, err := CollectHunting(ctx, e, []string{"seed__find_the_image.pcap"})
	if err != nil {
		t.Fatal(err)
	}
	found = false
	for _, f := range h.Findings {
		if f.Detector == "unknown_bulk" && f.Actor == "192.168.1.6" && f.Target == "192.168.1.100:7070/tcp" && strings.Contains(f.Summary, "5050/tcp") {
			cmds := strings.Join(f.Commands, "\n")
			found = strings.Contains(cmds, "--format raw --side client") && strings.Contains(cmds, "pcapframe decode seed__find_the_image.pcap --flow 192.168.1.6:65253-192.168.1.100:7070")
		}
	}
	if !found {
		t.Errorf("no unknown_bulk finding for the 7070 transfer with its carve and decode commands: %+v", h.Findings)
	}
	if len(h.Ran) == 0 || !slices.ContainsFunc(h.Skipped, func(s string) bool { return strings.HasPrefix(s, "new_in_capture:") }) {
		t.Errorf("ran %v, skipped %v", h.Ran, h.Skipped)
	}
}

// TestBrowserHunting opens, in Chromium, the report of iodine's capture with one more finding whose strings are
// hostile (markup, an injected handler, the hostile capture's strings): the hunting section lists the real
// dns_tunnel finding and shows the hostile strings as text, and nothing is injected.
func TestBrowserHunting(t *testing.T) {
	chromium(t)
	d, _ := buildReport(t, filepath.Join("..", "..", "testdata", "pcaps", "ndpi__dns-tunnel-iodine.pcap"))
	evil := `<img src=x onerror=alert(1)>` + hostileStrings[1]
	d.Hunting.Findings = append(d.Hunting.Findings, Finding{Detector: "dns_tunnel", Severity: "high", Score: 0.9,
		Actor: evil, Target: evil + ".example", Summary: "summary " + evil, Commands: []string{"pcapframe sql x -e '" + evil + "'"}})
	var buf bytes.Buffer
	if err := Write(&buf, d); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	b := openBrowser(t, path)
	rows, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('#hunting #findings tbody tr')).map(function (e) { return e.textContent; })`))
	if err != nil {
		t.Fatal(err)
	}
	var real, hostile bool
	for _, r := range rows {
		real = real || strings.Contains(r, "dns_tunnel") && strings.Contains(r, "pirate.sea")
		hostile = hostile || strings.Contains(r, "summary "+evil)
	}
	if !real || !hostile || len(rows) != len(d.Hunting.Findings) {
		t.Errorf("hunting rows %q: real finding %v, hostile shown as text %v", rows, real, hostile)
	}
	injected, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll('img, iframe, object, embed, [onload], [onerror], [onclick]').length + document.scripts.length - 2`))
	if err != nil {
		t.Fatal(err)
	}
	if injected != 0 {
		t.Errorf("%d elements or handlers were injected", injected)
	}
	if p := b.Problems(); len(p) > 0 {
		t.Errorf("the page had problems:\n%s", strings.Join(p, "\n"))
	}
}
