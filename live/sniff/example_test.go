package sniff_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/pcapframe/pcapframe/live"
	"github.com/pcapframe/pcapframe/live/sniff"
	"github.com/pcapframe/pcapframe/sink"
)

// Capture 100 DNS packets on the loopback interface into a capture file and the packets, flows and dns tables
// of a directory. Capturing needs root or CAP_NET_RAW, so this example is compiled but not run.
func ExampleRun_live() {
	h, err := live.Open("lo", live.Options{Filter: "udp port 53"})
	if err != nil {
		log.Fatal(err)
	}
	defer h.Close()
	outs, err := sniff.CreateTables("dns-tables", []string{"packets", "flows", "dns"}, sink.Parquet)
	if err != nil {
		log.Fatal(err)
	}
	st, err := sniff.Run(context.Background(), h, sniff.Options{Count: 100, Duration: time.Minute,
		File: "dns-tables/capture.pcapng", Tables: outs})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d packets captured, %d dropped by the kernel\n", st.Captured, st.Source.Dropped)
}

// Replay a capture file as if it were captured, into the packets, flows and dns tables of a directory.
func ExampleRun() {
	src, err := sniff.OpenFile("../../testdata/pcaps/dmachard__dnscat2.pcap")
	if err != nil {
		log.Fatal(err)
	}
	defer src.Close()
	dir, err := os.MkdirTemp("", "sniff-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	outs, err := sniff.CreateTables(dir, []string{"packets", "flows", "dns"}, sink.Parquet)
	if err != nil {
		log.Fatal(err)
	}
	// A file keeps its frames until they are read: wait for the writers rather than drop.
	st, err := sniff.Run(context.Background(), src, sniff.Options{Tables: outs, Wait: true})
	if err != nil {
		log.Fatal(err)
	}
	// capinfos counts the same: 24 packets, data size 3211 bytes.
	fmt.Printf("%d packets, %d bytes\n", st.Captured, st.Bytes)
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, f := range files {
		fmt.Println(filepath.Base(f))
	}
	// Output:
	// 24 packets, 3211 bytes
	// dns.parquet
	// flows.parquet
	// packets.parquet
}
