package tables_test

import (
	"bytes"
	"testing"

	"github.com/pcapframe/pcapframe/analyzer/dns"
	"github.com/pcapframe/pcapframe/analyzer/tls"
	"github.com/pcapframe/pcapframe/pipeline"
	"github.com/pcapframe/pcapframe/schema"
	"github.com/pcapframe/pcapframe/sink"
	"github.com/pcapframe/pcapframe/tables"
)

// rowsAtOnce runs a protocol table's analyzer with every row written as JSON Lines when it is emitted.
func rowsAtOnce[R any, A interface{ Close() error }](t *testing.T, batches []*pipeline.Batch, table *schema.Table[R], newA func(func(*R) error) A, def func(*schema.Table[R], func(func(*R) error) A) *tables.Def) string {
	t.Helper()
	var b bytes.Buffer
	sw, err := sink.New(table, sink.JSONL, &b, sink.Options{})
	if err != nil {
		t.Fatal(err)
	}
	d := def(table, func(emit func(*R) error) A { return newA(func(r *R) error { return sw.Write([]R{*r}) }) })
	runPass(t, batches, []tables.Output{{Def: d, Writer: nop{}}}, tables.Options{})
	if err := sw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestAnalyzerRowsOwnTheirMemory checks the contract of an analyzer's emit function: the pass keeps up to 1,024
// rows before writing them, so a row must not share memory the analyzer reuses. The dns and tls tables written
// by the pass equal the same analyzers' rows written the moment they are emitted.
func TestAnalyzerRowsOwnTheirMemory(t *testing.T) {
	for _, name := range []string{"chrissanders__dns_axfr.pcapng", "ndpi__bad-dns-traffic.pcap",
		"pcapplusplus__ExamplesTest_pcap_examples_tls2.pcap", "pcapplusplus__ExamplesTest_pcap_examples_many-protocols.pcap"} {
		batches := readBatches(t, corpus(t, name))
		for _, tc := range []struct {
			def  *tables.Def
			once func() string
		}{
			{tables.Lookup("dns"), func() string {
				return rowsAtOnce(t, batches, dns.Table, dns.New, tables.Analyzer[dns.Row, *dns.Analyzer])
			}},
			{tables.Lookup("tls"), func() string {
				return rowsAtOnce(t, batches, tls.Table, tls.New, tables.Analyzer[tls.Row, *tls.Analyzer])
			}},
		} {
			var b bytes.Buffer
			w, err := tc.def.NewWriter([]string{"all"}, sink.JSONL, &b, "", sink.Options{})
			if err != nil {
				t.Fatal(err)
			}
			runPass(t, batches, []tables.Output{{Def: tc.def, Writer: w}}, tables.Options{})
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if want := tc.once(); b.String() != want {
				t.Errorf("%s, table %s: the pass's rows (%d bytes of JSON) differ from the rows written as emitted (%d bytes)",
					name, tc.def.Name(), b.Len(), len(want))
			}
		}
	}
}
