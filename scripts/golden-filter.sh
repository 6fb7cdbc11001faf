#!/usr/bin/env bash
# golden-filter.sh: regenerate testdata/golden/filter/filters.tsv with tcpdump (libpcap's compiler and filter).
#
# One line per capture and filter: capture, filter, the number of frames `tcpdump -r CAPTURE FILTER` reads, and
# the SHA-256 of their timestamps (tcpdump --nano -tt: seconds with nine decimals, one a line, each line ending
# in \n). internal/cli's TestCaptureFilterGolden runs `pcapframe convert CAPTURE -f FILTER` and requires the same
# count and the same timestamps. Captures of Ethernet (pcap, pcapng, nanosecond pcap), raw IP (LINKTYPE_RAW
# 101, DLT_RAW 12, LINKTYPE_IPV4 228), Linux cooked v1 and v2 (113, 276), BSD loopback (NULL 0); IPv4 and IPv6
# fragments, DNS, a SYN scan.
#
# Run from the repository root:
#   scripts/golden-filter.sh [/path/to/corpus]   (default: testdata/pcaps)
set -euo pipefail
corpus=${1:-testdata/pcaps}
out=testdata/golden/filter/filters.tsv
command -v tcpdump >/dev/null || { echo "golden-filter: tcpdump is missing (apt-get install -y tcpdump)" >&2; exit 2; }
mkdir -p "$(dirname "$out")"

captures=(
  seed__find_the_image.pcap
  chrissanders__synscan.pcapng
  pcapplusplus__Pcap__Test_PcapExamples_DnsPackets.pcap
  pcapplusplus__Pcap__Test_PcapExamples_ip4_fragments.pcap
  pcapplusplus__Pcap__Test_PcapExamples_ip6_fragments.pcap
  pcapplusplus__Pcap__Test_PcapExamples_nanosecs_big_endian.pcap
  pcapplusplus__Pcap__Test_PcapExamples_raw_ip.pcap
  pcapplusplus__Pcap__Test_PcapExamples_four_ipv6_http_streams.pcap
  tcpdump__LINKTYPE_IPV4.pcap
  chrissanders__arppoison.pcapng
  ndpi__icmp-tunnel.pcap
  ndpi__rtsp.pcap
  pcapplusplus__Pcap__Test_PcapExamples_sll.pcap
  pcapplusplus__Pcap__Test_PcapExamples_sll2.pcap
  zeek__linux_dlt_sll2.pcap
  pcapplusplus__Pcap__Test_PcapExamples_null_loopback.pcap
  gopacket__pcap_test_loopback.pcap
)
filters=(
  ""
  "udp port 53"
  "tcp"
  "ip6"
  "arp"
  "icmp or icmp6"
  "tcp[tcpflags] & tcp-syn != 0 and not tcp[tcpflags] & tcp-ack != 0"
  "host 192.168.1.6 and dst port 7070"
  "ip[6:2] & 0x3fff != 0"
  "ip6 and ip6[6] == 44"
  "net 10.0.0.0/8 or net 192.168.0.0/16"
  "greater 1000"
  "less 60"
  "portrange 1-1023 and not port 53"
  "ether broadcast or ether multicast"
  "ip proto 17 and udp[8:2] > 0x8000"
)

{
  printf 'capture\tfilter\tframes\tsha256_times\n'
  for c in "${captures[@]}"; do
    for f in "${filters[@]}"; do
      # $f unquoted: tcpdump joins its words. Only lines that start with a timestamp count: tcpdump adds hex dump
      # lines under a frame it cannot dissect (an unknown loopback address family). A filter libpcap cannot compile for the capture's link type (arp
      # on raw IP) is "error": tcpdump reads nothing.
      if ! times=$(tcpdump --nano -tt -n -r "$corpus/$c" $f 2>/dev/null | awk '/^[0-9]/{print $1}'); then
        printf '%s\t%s\terror\t\n' "$c" "$f"
        continue
      fi
      n=0
      [ -n "$times" ] && n=$(printf '%s\n' "$times" | wc -l)
      sum=$( { [ -n "$times" ] && printf '%s\n' "$times"; true; } | sha256sum | cut -d' ' -f1)
      printf '%s\t%s\t%s\t%s\n' "$c" "$f" "$n" "$sum"
    done
  done
} >"$out"
echo "golden-filter: wrote $out ($(($(wc -l <"$out") - 1)) lines)"
