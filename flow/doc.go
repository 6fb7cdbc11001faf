// Package flow groups packets into bidirectional conversations and aggregates them per address: the flows table
// (Zeek's conn.log with Wireshark's stream index and frame bytes) and the endpoints table (Wireshark's Endpoints
// window), plus Community ID.
//
// # Conversations
//
// A Tracker is given every packet in capture order (Add) and calls its emit function with each Flow when the
// flow ends. A flow is keyed by the outermost IP header's two addresses, the protocol and, for TCP and UDP, the
// ports; for ICMP the ports are the type and its counterpart type (echo request and reply are one flow) or the
// code, as in Community ID. The key is a fixed 38-byte array, so looking up a flow allocates nothing: a packet of
// a flow already tracked costs no allocation (TestTrackerNoAllocs). Frames without an IP header belong to no
// flow.
//
// # Tunnels and fragments
//
// Tracker.AddFrame, which the tables and Follow use, counts a frame as Wireshark and Zeek see it (Unwrapper):
//
//   - Tunnels to any depth (8 by default, Options.MaxTunnelDepth, at most 16; Stats.Unwrap.TooDeep counts frames
//     cut there): GRE (with Cisco MetaData), ERSPAN I, II and III, VXLAN (UDP 4789), Geneve (6081), GTP-U (2152),
//     IP in IP (4in4, 6in4, 4in6, 6in6), Teredo (3544, when an IPv6 header follows), MPLS (with or without a
//     pseudowire control word) and PPP in GRE. The tunnel's own packet counts in its flow (UDP 4789, IP protocol
//     47, ...) and the packet inside it in a flow of its own, whose tunnel_parents lists the uids of the flows
//     around it, outermost first, as Zeek's conn.log does (every parent seen over the flow's life, at most 8).
//     A UDP tunnel's own flow gets Zeek's service name (vxlan, geneve, gtpv1, teredo) when nothing else names it.
//     Zeek stops at 2 tunnels by default (Tunnel::max_depth); tshark has no limit. Teredo is recognised on UDP
//     port 3544 only, as Wireshark does by default; Zeek also follows a Teredo client's traffic to relays on
//     other ports (its baseline of zeek tunnels/Teredo.pcap has an HTTP connection inside UDP port 32900, which
//     pcapframe and tshark leave as UDP).
//   - IP fragments (IPv4 and IPv6, at any depth) are reassembled (package ipdefrag: bounded memory, 60 s of packet
//     time, overlaps resolved as Wireshark does) and the datagram counts once, at the fragment that completes it,
//     with that frame's number, time and length, as in Wireshark's Conversations with reassembly on. A fragment
//     counts in no flow, and the fragments of a datagram that never completes count nowhere (as in Wireshark and
//     Zeek).
//
// TestTunnelsMatchTshark and TestStreamsMatchTshark check the innermost header of every frame and the frames
// and frame bytes of every TCP and UDP stream against tshark on 18 tunnel and fragment captures.
//
// Tracker.Add counts a packet by its outermost header only: non-first IP fragments (which carry no transport
// header) belong to no flow and, like Wireshark with reassembly off, a fragmented datagram's first fragment
// counts in its flow.
//
// The originator is the side that sent the first SYN, or the first packet when no SYN was seen; a capture that
// starts with the SYN-ACK makes the SYN-ACK's receiver the originator and records '^' in the history.
//
// # When flows are emitted, and in what order
//
// Flows are emitted in the order they end, so that memory stays bounded on any capture:
//
//   - a TCP flow ends Options.Linger (5 s, Zeek's tcp_close_delay) after both sides sent FIN or one sent RST;
//   - any flow ends after an inactivity timeout: 5 min for TCP, 1 min for UDP, ICMP and others (Zeek's
//     tcp_inactivity_timeout etc.), in packet time, never wall-clock time;
//   - a pure SYN with a new initial sequence number on the ports of a tracked connection ends it and starts a
//     new one (Wireshark starts a new tcp.stream there);
//   - when Options.MaxFlows flows are tracked, the least recently active one is emitted early (Stats.Evicted);
//   - Close emits the flows still open in the order of their first packets.
//
// Rows are therefore not sorted by ts; sort them in SQL. Several inputs given to one tracker are one capture.
//
// # Columns
//
// Zeek's meanings: orig_bytes and resp_bytes count TCP payload as the sequence space covered (from the first
// data byte to the highest byte seen or acknowledged, without SYN and FIN), so retransmissions count once and
// bytes the capture lacks count as missed_bytes: holes in the sequence space, data the peer acknowledged that
// the capture never had, and payload cut by the snap length. For UDP, ICMP and other protocols the bytes are the
// payload lengths. conn_state is Zeek's conn_state function over the same endpoint states (S0, S1, SF, REJ, S2,
// S3, RSTO, RSTR, RSTOS0, RSTRH, SH, SHR, OTH; UDP: SF, S0). history has Zeek's letters, upper case for the
// originator: s SYN, h SYN-ACK, a pure ACK, d data, f FIN, r RST (s, h, f, r again when the sequence number
// differs), t retransmitted or out-of-order data and w zero window (logarithmically: 1st, 10th, 100th, ...),
// g a hole in the payload (logarithmically, appended at the end), q SYN with FIN or RST, i FIN with RST, ^
// flipped; UDP records d only. service is the well-known port's protocol, kept only when the first payload bytes
// do not contradict a recognisable protocol, or a protocol recognised from the payload alone (http, ssl, ssh,
// sip, rtsp, smb) on other ports. uid is "C" and a base62 hash of the first packet's time, frame number and key:
// reruns give the same uids.
//
// Wireshark's view: stream is the tcp.stream or udp.stream index tshark gives the conversation (numbered by first
// packet, a new TCP stream on a pure SYN whose sequence number differs from the conversation's first one), and
// orig_wire_bytes and resp_wire_bytes are frame lengths, as Wireshark's Conversations window counts bytes. A flow
// split by a timeout keeps its stream index: ended conversations are remembered (Options.MaxRecent, FIFO) for
// that. TestConversationsMatchTshark checks frames, frame bytes and stream numbers against tshark on corpus
// captures.
//
// Known differences: TestConversationsMatchTshark runs Tracker.Add against tshark with reassembly off and
// outermost headers only; with AddFrame the inner streams are numbered as tshark numbers them. An ICMP error
// that quotes a UDP or TCP header counts in the ICMP flow (as in Zeek); tshark also counts it in the quoted
// conversation. Once more than Options.MaxRecent conversations have ended, one that comes back may get a new
// stream index.
//
// # Endpoints
//
// Endpoints aggregates per IP address (outermost header) the frames and frame bytes sent and received, as
// Wireshark's Endpoints window does (TestEndpointsMatchTshark), plus distinct peers and local TCP/UDP ports,
// bounded by EndpointOptions.
//
// # Community ID
//
// AppendCommunityID implements Community ID v1 (https://github.com/corelight/community-id-spec): SHA-1 over the
// seed, the ordered addresses, protocol and ports, base64. It is a few lines of standard library code, checked
// against the specification's published baselines for seeds 0 and 1; the Go library satta/gommunityid exists
// but would add a dependency (and its own allocations) for those few lines.
//
// # Speed
//
// BenchmarkTracker builds the flows table from packets decoded in memory on one core. On the 1,000,000-packet
// capture of ../shared/bench/make-bench-pcap (101,293 flows) it ran at 3.8 to 4.5 million packets per second
// on the 2-core development machine (1.7 to 2.7 million while other jobs loaded it), allocating 56 MB per pass
// (the flows and their hole lists; freed flows are reused) with at most 3,837 flows tracked at once.
package flow
