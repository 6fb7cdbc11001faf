// Package filter compiles capture filters written in tcpdump's syntax (pcap-filter(7)) into classic BPF
// programs that the Linux kernel runs on every packet (SO_ATTACH_FILTER), without libpcap. Matcher runs the same
// programs in golang.org/x/net/bpf's interpreter on the frames of capture files, as tcpdump -r FILE EXPR does
// (the commands' --filter).
//
// # What is supported
//
// Primitives: ip, ip6, arp, rarp, tcp, udp, sctp, icmp, icmp6, igmp; [proto] [src|dst|src or dst|src and dst]
// host/net/port/portrange with IPv4 and IPv6 addresses, partial IPv4 networks (net 10.1), a.b.c.d/len,
// net a.b.c.d mask m.m.m.m and port names; ether host/src/dst, ether proto, [ip|ip6] proto; broadcast,
// multicast (ether, ip, ip6); greater and less; comparisons of arithmetic expressions over len and header
// bytes (tcp[13] & 2 != 0, ip[2:2] > 576, tcp[tcpflags] & tcp-syn != 0) with the named constants of
// pcap-filter(7); and, or, not (&&, ||, !), parentheses, and inherited qualifiers (port 80 or 443).
//
// The semantics are libpcap's, including its quirks: "and" and "or" have the same precedence and associate
// left to right; "tcp" also matches IPv6 packets whose fixed header is followed by a fragment header carrying
// TCP; ports and tcp[...] look at IPv4 first fragments only, and at IPv6 transport headers right after the
// fixed header. Reading past the end of a frame rejects it, as in every BPF engine; the reads happen in the
// order of libpcap's unoptimized code.
//
// Not supported, with a clear error: host names (addresses only; nothing is looked up), gateway, protochain,
// vlan, mpls, pppoe, inbound/outbound, ip broadcast (it needs the netmask), Ethernet addresses, broadcast and
// multicast on links without them, link types other than Ethernet, raw IP, Linux cooked capture v1 and v2
// (tcpdump -i any) and BSD loopback (NULL, LOOP), and ether proto values up to 1500 (LLC).
//
// On BSD loopback (LINKTYPE_NULL) the address family is tested in both byte orders, and IPv6 is any of the
// values systems use for AF_INET6 (10 Linux, 24 NetBSD/OpenBSD, 28 FreeBSD, 30 macOS); libpcap built on Linux
// tests only 10 in the reader's byte order, so `ip6` there misses a macOS loopback capture that it finds here.
//
// # How it is checked
//
// testdata/golden/live/filters.tsv holds the programs libpcap compiles (through tcpdump -ddd, optimized and
// unoptimized) for a few hundred expressions; scripts/sniff-golden-filters.sh regenerates it. The tests run
// libpcap's programs and ours over thousands of synthetic and real frames and require the same verdict on
// every one, and load every program into the kernel to make sure its checker accepts it.
//
// # Why not a library
//
// libpcap's compiler needs cgo and libpcap-dev on every machine that builds pcapframe. The pure-Go
// github.com/packetcap/go-pcap/filter was evaluated and rejected: it silently compiles invalid expressions
// (an unbalanced "garbage (((" gives an empty program and no error), lacks icmp, arithmetic and byte
// comparisons, and limits programs to 255 instructions.
package filter
