#!/usr/bin/env bash
# golden-flows.sh: regenerate testdata/golden/flows and testdata/golden/follow with tshark (Wireshark 4.x).
#
# testdata/golden/flows/NAME.conv.tsv: one line per TCP and UDP conversation as tshark numbers them (tcp.stream,
#   udp.stream), with the frames and frame bytes each way, computed by tshark itself: each frame whose outermost IP
#   header is directly followed by TCP or UDP is added to its stream; side A is the source of the stream's first
#   frame. IP reassembly is off, as in pcapframe (a fragmented datagram's first fragment carries the ports).
#   Columns: proto stream addr_a port_a addr_b port_b frames_ab bytes_ab frames_ba bytes_ba.
# testdata/golden/flows/NAME.conv.txt: tshark's own -z conv,tcp and -z conv,udp tables, for reference.
# testdata/golden/follow/NAME.STREAM.{raw,ascii,hex}: tshark -q -z follow,tcp,FORMAT,STREAM output.
#
# The tests in flow/ and internal/cli/ compare pcapframe against these files. Run from the repository root:
#   scripts/golden-flows.sh [/path/to/corpus]
set -euo pipefail
corpus=${1:-../shared/testdata/pcaps}
out=testdata/golden
command -v tshark >/dev/null || { echo "golden-flows: tshark is missing (apt-get install -y tshark)" >&2; exit 2; }
mkdir -p "$out/flows" "$out/follow"

# Captures compared for conversations: real traffic with TCP and UDP, retransmissions, scans, tunnels, IPv6,
# fragments and mid-stream starts.
conv_captures=(
  seed__find_the_image.pcap
  arkime__wireshark-retrans.pcap
  chrissanders__tcp_retransmissions.pcapng
  chrissanders__http_espn.pcapng
  chrissanders__synscan.pcapng
  chrissanders__dns_axfr.pcapng
  chrissanders__cryptowall4_c2.pcapng
  pcapplusplus__Pcap__Test_PcapExamples_unidirectional_tcp_stream_with_missing_packet.pcap
  pcapplusplus__Pcap__Test_PcapExamples_four_ipv6_http_streams.pcap
  pcapplusplus__Pcap__Test_PcapExamples_ip4_fragments.pcap
  pcapplusplus__ExamplesTest_pcap_examples_many-protocols.pcap
  zeek__tcp_missing-syn.pcap
  zeek__tcp_handshake-reorder.pcap
  zeek__tcp_retransmit-fast009.pcap
  zeek__ftp_ipv4.pcap
  zeek__ssh_sshguess.pcap
  zeek__nmap-vsn.pcap
  zeek__dns_mdns.pcap
  zeek__tunnels_vxlan-encapsulated-http.pcap
  zeek__tunnels_Teredo.pcap
  zeek__ipv6-fragmented-dns.pcap
  ndpi__rtsp.pcap
  ndpi__tcp_scan.pcapng
  tcpdump__dns_tcp.pcap
)

for name in "${conv_captures[@]}"; do
  src=$corpus/$name
  [ -f "$src" ] || { echo "golden-flows: missing $src" >&2; exit 2; }
  tshark -n -r "$src" -o ip.defragment:FALSE -o ipv6.defragment:FALSE -T fields -E separator=/t -E occurrence=f \
    -e frame.protocols -e frame.len -e ip.src -e ip.dst -e ipv6.src -e ipv6.dst \
    -e tcp.stream -e tcp.srcport -e tcp.dstport -e udp.stream -e udp.srcport -e udp.dstport 2>/dev/null |
  awk -F'\t' '
    {
      # The transport directly after the outermost IP header (IPv6 extension headers skipped).
      n = split($1, layer, ":"); tr = ""
      for (i = 1; i <= n; i++) if (layer[i] == "ip" || layer[i] == "ipv6") break
      for (i++; i <= n; i++) if (layer[i] !~ /^ipv6\./) { tr = layer[i]; break }
      if (tr == "tcp" && $7 != "") { st = $7; sp = $8; dp = $9 }
      else if (tr == "udp" && $10 != "") { st = $10; sp = $11; dp = $12 }
      else next
      s = ($3 != "") ? $3 : $5; d = ($4 != "") ? $4 : $6
      k = tr SUBSEP st
      if (!(k in a)) { a[k] = s; pa[k] = sp; b[k] = d; pb[k] = dp; order[++m] = k; fab[k] = bab[k] = fba[k] = bba[k] = 0 }
      if (s == a[k] && sp == pa[k]) { fab[k]++; bab[k] += $2 } else { fba[k]++; bba[k] += $2 }
    }
    END {
      for (i = 1; i <= m; i++) { k = order[i]; split(k, kk, SUBSEP)
        printf "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\n", kk[1], kk[2], a[k], pa[k], b[k], pb[k], fab[k], bab[k], fba[k], bba[k] }
    }' | sort -k1,1 -k2,2n >"$out/flows/$name.conv.tsv"
  { tshark -n -r "$src" -o ip.defragment:FALSE -o ipv6.defragment:FALSE -q -z conv,tcp -z conv,udp 2>/dev/null || true; } >"$out/flows/$name.conv.txt"
  echo "flows: $name: $(wc -l <"$out/flows/$name.conv.tsv") conversations"
done

# Follow: the notebook's chat (port 5050) and transfer (port 7070), and streams with retransmissions,
# out-of-order segments and a missing segment.
follow=(
  "seed__find_the_image.pcap 1 ascii"
  "seed__find_the_image.pcap 1 hex"
  "seed__find_the_image.pcap 0 ascii"
  "seed__find_the_image.pcap 5 raw"
  "seed__find_the_image.pcap 5 ascii"
  "arkime__wireshark-retrans.pcap 0 raw"
  "arkime__wireshark-retrans.pcap 0 ascii"
  "chrissanders__tcp_retransmissions.pcapng 0 raw"
  "zeek__tcp_retransmit-fast009.pcap 0 raw"
  "zeek__tcp_handshake-reorder.pcap 0 raw"
  "zeek__tcp_missing-syn.pcap 0 raw"
  "zeek__ftp_ipv4.pcap 0 ascii"
  "pcapplusplus__Pcap__Test_PcapExamples_unidirectional_tcp_stream_with_missing_packet.pcap 0 raw"
  "pcapplusplus__Pcap__Test_PcapExamples_four_ipv6_http_streams.pcap 2 hex"
  "chrissanders__http_espn.pcapng 7 raw"
)
for spec in "${follow[@]}"; do
  read -r name stream format <<<"$spec"
  tshark -n -r "$corpus/$name" -q -z "follow,tcp,$format,$stream" 2>/dev/null >"$out/follow/$name.$stream.$format"
  echo "follow: $name stream $stream $format: $(wc -c <"$out/follow/$name.$stream.$format") bytes"
done

# Endpoints: tshark's -z endpoints,ip and -z endpoints,ipv6 tables (exact packet and byte counts per address).
endpoint_captures=(
  seed__find_the_image.pcap
  chrissanders__http_espn.pcapng
  chrissanders__synscan.pcapng
  pcapplusplus__Pcap__Test_PcapExamples_four_ipv6_http_streams.pcap
  zeek__dns_mdns.pcap
  zeek__icmp_5-pings.pcap
  chrissanders__arppoison.pcapng
)
for name in "${endpoint_captures[@]}"; do
  tshark -n -r "$corpus/$name" -q -z endpoints,ip -z endpoints,ipv6 2>/dev/null >"$out/flows/$name.endpoints.txt"
  echo "endpoints: $name: $(grep -c '^[0-9a-f]' "$out/flows/$name.endpoints.txt") addresses"
done
