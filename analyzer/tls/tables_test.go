package tls_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pcapframe/pcapframe/analyzer/tls"
	"github.com/pcapframe/pcapframe/tables"
)

// collector is a tables.Writer that keeps the tls rows it is given, as the real writers receive them (batches of
// Row values copied by the driver).
type collector struct{ rows []tls.Row }

func (c *collector) Write(rows any) error {
	r, ok := rows.([]tls.Row)
	if !ok {
		return fmt.Errorf("rows of type %T", rows)
	}
	c.rows = append(c.rows, r...)
	return nil
}
func (c *collector) Close() error { return nil }
func (c *collector) Abort() error { return nil }

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
			var c collector
			if _, err := tables.Run(context.Background(), []string{filepath.Join(tls.PcapDir, name)}, []tables.Output{{Def: def, Writer: &c}}, tables.Options{}); err != nil {
				t.Fatal(err)
			}
			want := tls.RowsOf(t, name)
			var got, exp []string
			for i := range c.rows {
				got = append(got, summary(&c.rows[i]))
			}
			for i := range want {
				exp = append(exp, summary(&want[i]))
			}
			slices.Sort(got)
			slices.Sort(exp)
			if len(exp) == 0 || !slices.Equal(got, exp) {
				for _, g := range got {
					if !slices.Contains(exp, g) {
						t.Errorf("only through tables: %s", g)
					}
				}
				for _, e := range exp {
					if !slices.Contains(got, e) {
						t.Errorf("only from the tests' driver: %s", e)
					}
				}
				t.Errorf("rows through tables differ (%d rows, want %d)", len(got), len(exp))
			}
		})
	}
}
