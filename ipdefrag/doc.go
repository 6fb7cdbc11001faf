// Package ipdefrag reassembles IPv4 and IPv6 datagrams from their fragments, with bounded memory and time, so
// that flows, streams and the protocol analyzers see a fragmented datagram once, whole.
//
// A Defragmenter is given IP packets (the bytes from the IP header on, as captured) in capture order. A packet
// that is not a fragment is no concern of it (NotFragment). A fragment is held until its datagram is complete;
// the fragment that completes it gets the reassembled datagram back (Complete): an IP packet without
// fragmentation (IPv4: total length set, MF and offset cleared, checksum recomputed; IPv6: the fragment header
// removed and the payload length set), which the caller decodes as it would a frame of raw IP. The frames of
// every fragment of that datagram are returned with it, so a packet table can tie each fragment to the frame
// that completed it (Wireshark's ip.reassembled_in and ipv6.reassembled_in).
//
// # Which fragments belong together
//
// IPv4: source, destination, protocol and identification (RFC 791). IPv6: source, destination and the
// fragment header's identification (RFC 8200). An IPv6 fragment with offset 0 and M clear (an atomic fragment,
// RFC 6946) is a whole datagram at once.
//
// # Overlaps, as Wireshark does by default
//
// Wireshark (epan/reassemble.c) keeps the fragments sorted by offset and copies them in that order, each only
// past the bytes already written: every byte comes from the fragment with the lowest offset that covers it, and
// of fragments with the same offset from the one received first. Bytes beyond the end that the first final
// fragment (MF clear) gives are dropped. Linux, in contrast, drops a datagram whose fragments overlap (RFC 5722
// for IPv6); gopacket's ip4defrag does the same. Overlapping fragments are counted in Stats.Overlaps.
//
// # Bounds
//
// Everything is bounded, whatever the capture holds (Options): datagrams in progress at once (MaxDatagrams,
// default 4,096), bytes held across them (MaxBytes, 16 MiB), fragments per datagram (MaxFragments, 1,024), and
// time: a datagram not complete Timeout (60 s, Linux's ip6frag_time; ipfrag_time is 30 s) of packet time after
// its first fragment is dropped. When a new fragment would pass a limit, the oldest datagrams in progress are
// dropped first (Stats.Evicted). A datagram may not pass 65,535 bytes (IPv4 total length; IPv6 payload length):
// a fragment that reaches beyond is dropped (Stats.Oversized). A fragment whose captured bytes are fewer than
// its header declares (cut by the snap length) can never be reassembled: its datagram is dropped
// (Stats.Truncated). Time is packet time, never the wall clock.
//
// # Why not gopacket's ip4defrag
//
// github.com/gopacket/gopacket/ip4defrag handles IPv4 only, keeps references to the caller's layers (our
// packets live in recycled batch buffers, so every fragment would have to be copied anyway), drops datagrams
// with overlapping fragments (Linux's policy rather than Wireshark's), has no cap on the datagrams in progress
// (only DiscardOlderThan, a scan of every datagram, called by the user) and allocates per fragment. This package
// copies each fragment's bytes once into a buffer of its datagram, reuses datagrams, and makes no allocation per
// fragment once warmed up.
package ipdefrag
