package query

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/pcapframe/pcapframe/flow"
	"github.com/pcapframe/pcapframe/packet"
)

// columnDigest returns, for every column of a table, its non-NULL count and a hash sum of its values, in row
// order-independent form, plus the table's row count: two loads of the same captures must agree on all of it.
func columnDigest(t *testing.T, e *Engine, table string, cols []string) string {
	t.Helper()
	parts := []string{"count(*)"}
	for _, c := range cols {
		parts = append(parts, fmt.Sprintf("count(%s)", quoteIdent(c)), fmt.Sprintf("sum(hash(%s) >> 8)", quoteIdent(c)))
	}
	got := rows(t, e, "SELECT "+strings.Join(parts, ", ")+" FROM "+quoteIdent(table))
	return strings.Join(got[0], " ")
}

// Captures loaded into an in-memory engine (staged Parquet behind a view) and into the appender's native tables
// give the same values in every column of packets and flows, with the same types.
func TestStagedEqualsAppended(t *testing.T) {
	captures := []string{"seed__find_the_image.pcap", "chrissanders__http_espn.pcapng", "zeek__tunnels_vxlan-encapsulated-http.pcap", "pcapplusplus__Packet__Test_PacketExamples_ipv6_options.pcap", "tcpdump__LINKTYPE_PKTAP.pcap"}
	var paths []string
	for _, c := range captures {
		paths = append(paths, corpusFile(t, c))
	}
	ctx := context.Background()
	open := func(opts Options) *Engine {
		e, err := Open(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { e.Close() })
		if _, err := e.Load(ctx, paths, LoadOptions{}); err != nil {
			t.Fatal(err)
		}
		return e
	}
	staged, appended := open(Options{}), open(Options{noStage: true})
	if staged.stage == "" || appended.stage != "" {
		t.Fatalf("staging directories: %q and %q", staged.stage, appended.stage)
	}
	for table, cols := range map[string][]string{"packets": packet.Table.Names(), "flows": flow.Table.Names()} {
		a, b := columnDigest(t, staged, table, cols), columnDigest(t, appended, table, cols)
		if a != b {
			t.Errorf("%s differs:\nstaged   %s\nappended %s", table, a, b)
		}
		ta := rows(t, staged, "SELECT column_name, column_type FROM (DESCRIBE "+table+")")
		tb := rows(t, appended, "SELECT column_name, column_type FROM (DESCRIBE "+table+")")
		if fmt.Sprint(ta) != fmt.Sprint(tb) {
			t.Errorf("%s types differ:\nstaged   %v\nappended %v", table, ta, tb)
		}
	}
	dir := staged.stage
	staged.Close()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("staging directory %s not removed by Close", dir)
	}
}
