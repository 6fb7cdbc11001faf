package report

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

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
