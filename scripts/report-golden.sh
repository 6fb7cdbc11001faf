#!/usr/bin/env bash
# report-golden.sh: regenerate testdata/golden/report/, the independent truth for the chart aggregates
# (internal/chart/agg): for each capture, tshark's own dissection of every frame as tab-separated fields —
# frame.time_epoch, frame.len, IPv4/IPv6 source and destination, ip.proto/ipv6.nxt, TCP/UDP ports, tcp.len and
# udp.length. The Go tests sum these per address, port and conversation and compare with pcapframe's SQL.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v tshark >/dev/null || { echo "report-golden: tshark is missing (apt-get install -y tshark)" >&2; exit 2; }
out=testdata/golden/report
mkdir -p "$out"
for name in chrissanders__http_espn.pcapng pcapplusplus__Pcap__Test_PcapExamples_four_ipv6_http_streams.pcap \
  tcpdump__dns_udp.pcap zeek__http_get.pcap; do
  tshark -r "testdata/pcaps/$name" -T fields -E separator=/t -E occurrence=f \
    -e frame.time_epoch -e frame.len -e ip.src -e ipv6.src -e ip.dst -e ipv6.dst -e ip.proto -e ipv6.nxt \
    -e tcp.srcport -e tcp.dstport -e udp.srcport -e udp.dstport -e tcp.len -e udp.length \
    >"$out/$name.tsv" 2>/dev/null
  echo "$out/$name.tsv: $(wc -l <"$out/$name.tsv") frames"
done
