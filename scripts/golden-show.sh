#!/usr/bin/env bash
# golden-show.sh: regenerate testdata/golden/show with Scapy (apt-get install -y python3-scapy; Scapy 2.5).
#
# testdata/golden/show/CAPTURE.FRAME.txt: what Scapy's show() prints for that frame of the capture, with ports as
# numbers (conf.noenum: Scapy names ports from /etc/services, pcapframe does not). internal/cli's TestShowScapy
# requires pcapframe show to print the same layers, fields and values.
#
# Run from the repository root:
#   scripts/golden-show.sh [/path/to/corpus]   (default: testdata/pcaps)
set -euo pipefail
corpus=${1:-testdata/pcaps}
out=testdata/golden/show
/usr/bin/python3 -c 'import scapy' 2>/dev/null || { echo "golden-show: Scapy is missing (apt-get install -y python3-scapy)" >&2; exit 2; }
mkdir -p "$out"

# capture:frame. TCP with options (SYN), TCP with data, RST+ACK; DNS query and answer over UDP, DNS over IPv6;
# ICMP echo; ARP with Ethernet padding; IPv4 fragments (MF); a VLAN tag.
frames=(
  seed__find_the_image.pcap:1
  seed__find_the_image.pcap:2
  seed__find_the_image.pcap:10
  pcapplusplus__Pcap__Test_PcapExamples_DnsPackets.pcap:1
  pcapplusplus__Pcap__Test_PcapExamples_DnsPackets.pcap:2
  ndpi__icmp-tunnel.pcap:1
  chrissanders__arppoison.pcapng:1
  ndpi__icmp-tunnel.pcap:3
  tcpdump__802.1ad_QinQ.pcap:1
  pcapplusplus__Pcap__Test_PcapExamples_ip4_fragments.pcap:1
)
for cf in "${frames[@]}"; do
  c=${cf%:*}
  n=${cf##*:}
  /usr/bin/python3 - "$corpus/$c" "$n" >"$out/$c.$n.txt" <<'PY'
import sys
from scapy.all import conf, rdpcap, TCP, UDP
conf.noenum.add(TCP.sport, TCP.dport, UDP.sport, UDP.dport)
pkts = rdpcap(sys.argv[1], count=int(sys.argv[2]))
pkts[int(sys.argv[2]) - 1].show()
PY
done
echo "golden-show: wrote ${#frames[@]} files to $out"
