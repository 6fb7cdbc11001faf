#!/usr/bin/env bash
# golden-encap.sh: regenerate testdata/golden/encap/*.tsv, tshark's view of tunnels and IP fragments, which
# flow/encap_test.go and packet/encap_test.go compare with pcapframe:
#   frame.number, frame.protocols, every ip.src, ip.dst, ipv6.src, ipv6.dst of the frame (comma-separated, outer
#   first), ip.reassembled_in and ipv6.reassembled.in (first occurrence: the outermost IP header's).
# tshark runs two passes (-2) with its default preferences (IP reassembly on), so that reassembled_in is set on
# every fragment of a completed datagram. Needs tshark (Debian package tshark). The first line records its version.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v tshark >/dev/null || { echo "golden-encap: tshark is missing (apt-get install -y tshark)" >&2; exit 2; }
caps=(
  arkime__6-4-gre-ppp-udp-4-dns.pcap arkime__gre-erspan-vxlan.pcap arkime__mpls-basic.pcap tcpdump__geneve.pcap
  tcpdump__various_gre.pcap zeek__tunnels_6in4.pcap zeek__tunnels_Teredo.pcap zeek__tunnels_gre-sample.pcap
  zeek__tunnels_gtp_gtp1_gn_normal_incl_fragmentation.pcap zeek__tunnels_vxlan-encapsulated-http.pcap
  zeek__mixed-vlan-mpls.pcap
  pcapplusplus__Pcap__Test_PcapExamples_ip4_fragments.pcap pcapplusplus__Pcap__Test_PcapExamples_ip6_fragments.pcap
  zeek__ipv4_fragmented-3.pcap zeek__ipv6-fragmented-dns.pcap chrissanders__ip_frag_source.pcapng
  ndpi__ip_fragmented_garbage.pcap tcpdump__ip6_frag_asan.pcap
)
mkdir -p testdata/golden/encap
version=$(tshark --version | head -n 1)
for name in "${caps[@]}"; do
  out=testdata/golden/encap/$name.tsv
  {
    echo "# $version"
    tshark -n -2 -r "testdata/pcaps/$name" -T fields -E header=n -E separator=/t -E occurrence=a -E aggregator=, \
      -e frame.number -e frame.protocols -e ip.src -e ip.dst -e ipv6.src -e ipv6.dst \
      -e ip.reassembled_in -e ipv6.reassembled.in 2>/dev/null || true
  } >"$out.tmp"
  mv "$out.tmp" "$out"
done
echo "golden-encap: wrote ${#caps[@]} files"
