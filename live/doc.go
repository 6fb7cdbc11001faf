// Package live captures packets from a network interface on Linux and writes them to pcap or pcapng files,
// with rotation. It needs no C library: a fresh machine needs nothing beyond the Go toolchain.
//
// # Capture
//
// Open creates an AF_PACKET raw socket with a TPACKET_V3 receive ring shared with the kernel (through
// golang.org/x/sys/unix; no cgo). The kernel fills blocks of the ring and hands each over when it is full or
// BlockTimeout after its first packet; ReadBatch copies the frames of the ready blocks into a Batch and gives
// the blocks back at once, so a slow consumer never holds the ring. Timestamps are the kernel's receive times
// (nanoseconds, from the ring's packet headers); nothing calls time.Now per packet. Stats reads the kernel's
// PACKET_STATISTICS: packets received and dropped because the ring was full.
//
// Details that match libpcap's behaviour: on the loopback interface, where every packet is seen once leaving
// and once arriving, only the arriving copy is kept; VLAN tags that the kernel took off (hardware VLAN
// acceleration) are put back into the frame; the socket is created with protocol 0 and bound to the
// interface only after the filter is attached, so no packet that fails the filter is ever queued.
//
// # Filter
//
// Filters use tcpdump's syntax and run in the kernel (SO_ATTACH_FILTER); package live/filter compiles them
// to classic BPF. This is the design decision behind the package: compiling tcpdump expressions without
// libpcap needs a compiler written in Go, and the only maintained one found, github.com/packetcap/go-pcap/
// filter, was not good enough (it silently accepts invalid expressions and lacks icmp, arithmetic and byte
// comparisons, see the filter package). The alternative, gopacket/pcap, needs cgo and libpcap-dev on every
// build machine. So live/filter implements pcap-filter(7)'s common subset itself, and its tests hold it to
// libpcap's verdicts (programs compiled by tcpdump, run side by side over thousands of frames).
//
// # Files
//
// Writer writes batches to pcap (nanosecond timestamps) or pcapng files with gopacket's pcapgo encoders,
// one write per batch, in place: after every Write each file holds complete records only. It can rotate by
// size or by packet time and keep only the last K files. A failed write (a full disk) cuts the file back to
// its last complete record.
//
// Package live/sniff runs a whole capture on top of this package, as `pcapframe sniff` does: a Handle (or a
// capture file replayed) read until a count, a duration or a cancel, into a capture file and any tables of
// package tables at once.
//
// # Ownership
//
// A Batch owns its frame bytes; a Frame's Data is valid until the batch is Reset. ReadBatch appends to a
// batch the caller owns, so batches can be passed between goroutines and reused.
package live
