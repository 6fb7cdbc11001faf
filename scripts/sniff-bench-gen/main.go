// Command sniff-bench-gen sends UDP datagrams to 127.0.0.1 at a fixed rate, for scripts/sniff-bench.sh. It
// sends to loopback only, for a bounded time, and prints the number of datagrams sent.
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"time"

	"golang.org/x/net/ipv4"
)

func main() {
	port := flag.Int("port", 0, "destination port on 127.0.0.1 (0: a fresh one, printed first)")
	rate := flag.Int("rate", 100000, "datagrams per second")
	size := flag.Int("size", 64, "UDP payload bytes")
	dur := flag.Duration("duration", 5*time.Second, "how long to send (at most 60s)")
	flag.Parse()
	if *dur > time.Minute {
		*dur = time.Minute
	}
	// A socket that never reads: datagrams are dropped by its full buffer, without ICMP errors.
	sink, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: *port})
	if err != nil {
		fmt.Fprintln(os.Stderr, "sniff-bench-gen:", err)
		os.Exit(1)
	}
	defer sink.Close()
	c, err := net.DialUDP("udp4", nil, sink.LocalAddr().(*net.UDPAddr))
	if err != nil {
		fmt.Fprintln(os.Stderr, "sniff-bench-gen:", err)
		os.Exit(1)
	}
	// Send with sendmmsg, up to 64 datagrams per system call.
	pc := ipv4.NewPacketConn(c)
	msgs := make([]ipv4.Message, 64)
	for i := range msgs {
		msgs[i].Buffers = [][]byte{make([]byte, *size)}
	}
	start := time.Now()
	sent := 0
	for {
		el := time.Since(start)
		if el >= *dur {
			break
		}
		// Send what is due so far, in bursts of at most 1 ms worth.
		due := int(el.Seconds()*float64(*rate)) - sent
		if due <= 0 {
			time.Sleep(200 * time.Microsecond)
			continue
		}
		due = min(due, 4096) // check the clock at least every 4096 datagrams
		for due > 0 {
			n, err := pc.WriteBatch(msgs[:min(due, len(msgs))], 0)
			if err != nil {
				break
			}
			sent += n
			due -= n
		}
	}
	secs := time.Since(start).Seconds()
	fmt.Printf("sent %d datagrams in %.2fs (%.0f/s)\n", sent, secs, float64(sent)/secs)
}
