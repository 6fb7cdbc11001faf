package tls_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pcapframe/pcapframe/analyzer/analyzertest"
	"github.com/pcapframe/pcapframe/analyzer/tls"
	"github.com/pcapframe/pcapframe/tables"
)

func summary(r *tls.Row) string {
	return fmt.Sprintf("%s %s ch=%d sh=%d %q %s %s %s %s %v %v %q %s %q", r.UID, r.Proto, r.ClientHelloFrame, r.ServerHelloFrame,
		r.ServerName, r.Version, r.Cipher, r.JA3, r.JA4, r.Established, r.Resumed, strings.Join(r.OrigALPN, ","), r.CertSHA256, r.Note)
}

// TestThroughTables checks that the tls table built by the one pass of package tables (its flow tracker and
// reassembler, rows kept in batches as copies of the Row value) has the rows of the tests' own driver.
func TestThroughTables(t *testing.T) {
	def := tables.Lookup("tls")
	if def == nil {
		t.Fatal("no tls table in tables.List")
	}
	for _, name := range []string{"zeek__tls_tls1.2.pcap", "zeek__tls_tls13-ech.pcap", "zeek__quic_curl-8.1.2-dev-http3-www-google-de.pcap",
		"pcapplusplus__Pcap__Test_PcapExamples_pcapng-example.pcapng", "pcapplusplus__ExamplesTest_pcap_examples_tls2.pcap"} {
		t.Run(name, func(t *testing.T) {
			var c analyzertest.Collector[tls.Row]
			if _, err := tables.Run(context.Background(), []string{filepath.Join(tls.PcapDir, name)}, []tables.Output{{Def: def, Writer: &c}}, tables.Options{}); err != nil {
				t.Fatal(err)
			}
			analyzertest.SameRows(t, c.Rows, tls.RowsOf(t, name), summary)
		})
	}
}

// TestDoneStreams checks that the pass stops reassembling the connections the tls analyzer is done with
// (analyzer.StreamDone): all 25 TCP connections of the ESPN capture start with an HTTP GET (tshark: the first
// payload of each of its 25 tcp.stream conversations is "GET /"), so none is followed past its first request; the
// one handshake of tls1.2.pcap is established, and the connection is dropped then; of the 6 SMTP connections of
// smtp.pcap, the one that turns to TLS (STARTTLS) is followed until its handshake is established, the others to
// their end (clear text that might still turn to TLS). TestThroughTables shows the
// rows do not change.
func TestDoneStreams(t *testing.T) {
	def := tables.Lookup("tls")
	for _, tc := range []struct {
		name          string
		streams, done int64
		rows          int
	}{
		{"chrissanders__http_espn.pcapng", 25, 25, 0},
		{"zeek__tls_tls1.2.pcap", 1, 1, 1},
		{"zeek__smtp.pcap", 6, 1, 1}, // tshark: 6 TCP conversations; the 5 without STARTTLS stay clear text to their end
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c analyzertest.Collector[tls.Row]
			st, err := tables.Run(context.Background(), []string{filepath.Join(tls.PcapDir, tc.name)}, []tables.Output{{Def: def, Writer: &c}}, tables.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if st.Streams != tc.streams || st.DoneStreams != tc.done || len(c.Rows) != tc.rows {
				t.Errorf("streams %d, done early %d, rows %d; want %d, %d, %d", st.Streams, st.DoneStreams, len(c.Rows), tc.streams, tc.done, tc.rows)
			}
			for i := range c.Rows {
				if !c.Rows[i].Established {
					t.Errorf("row %s not established", summary(&c.Rows[i]))
				}
			}
		})
	}
}
