#!/usr/bin/env bash
# golden-encap.sh: regenerate testdata/golden/encap/*.tsv, tshark's view of tunnels and IP fragments, which
# flow/encap_test.go and packet/encap_test.go compare with pcapframe:
#   frame.number, frame.protocols, every ip.src, ip.dst, ipv6.src, ipv6.dst of the frame (comma-separated, outer
#   first), ip.reassembled_in and ipv6.reassembled.in (first occurrence: the outermost IP header's).
# testdata/golden/encap/*.streams.tsv: proto, stream, frames, frame bytes of every TCP and UDP stream tshark
#   numbers (tcp.stream, udp.stream, at every depth: a frame counts once in each stream it carries; not the
#   header an ICMP error quotes), for the flows of flow.Tracker.AddFrame.
# tshark runs two passes (-2) with its default preferences (IP reassembly on), so that reassembled_in is set on
# every fragment of a completed datagram, and a fragmented datagram counts once, in the frame that completes it. Needs tshark (Debian package tshark). The first line records its version.
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
  out=testdata/golden/encap/$name.streams.tsv
  {
    echo "# $version"
    tshark -n -2 -r "testdata/pcaps/$name" -T fields -E header=n -E separator=/t -E occurrence=a -E aggregator=, \
      -e frame.len -e tcp.stream -e udp.stream -e frame.protocols 2>/dev/null |
    awk -F'\t' '
      {
        # Only the TCP and UDP headers before an ICMP error: tshark also numbers the header an ICMP error quotes
        # in that conversation, pcapframe counts the frame in the ICMP flow (as Zeek does).
        nl = split($4, layer, ":"); lim[2] = 0; lim[3] = 0
        for (i = 1; i <= nl; i++) {
          if (layer[i] == "icmp" || layer[i] == "icmpv6") break
          if (layer[i] == "tcp") lim[2]++
          if (layer[i] == "udp") lim[3]++
        }
        for (p = 2; p <= 3; p++) {
          n = split($p, s, ","); delete seen
          if (n > lim[p]) n = lim[p]
          for (i = 1; i <= n; i++) if (s[i] != "" && !(s[i] in seen)) {
            seen[s[i]] = 1; k = (p == 2 ? "tcp" : "udp") "\t" s[i]; frames[k]++; bytes[k] += $1
          }
        }
      }
      END { for (k in frames) print k "\t" frames[k] "\t" bytes[k] }' | sort -k1,1 -k2,2n || true
  } >"$out.tmp"
  mv "$out.tmp" "$out"
done
echo "golden-encap: wrote ${#caps[@]} files"
