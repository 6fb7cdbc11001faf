#!/usr/bin/env bash
# golden-dns.sh: regenerate analyzer/dns/testdata/golden with tshark (Wireshark 4.x).
#
# analyzer/dns/testdata/golden/NAME.tsv: one line per frame that tshark dissects as DNS (mDNS and LLMNR
# included, which share the dns.* fields), two passes (-2) so that tshark's own query/response matching
# (dns.response_in, dns.response_to) is filled in. Columns, tab-separated; fields with several values (one per
# record) are joined with the ASCII unit separator (0x1f):
#   frame.number dns.flags.response dns.id dns.qry.name dns.qry.type dns.flags.rcode dns.count.answers
#   dns.resp.type dns.resp.ttl dns.a dns.aaaa dns.cname dns.txt dns.response_in dns.response_to
#   dns.flags.opcode
# dns.resp.type, dns.resp.ttl, dns.a, ... cover every section (answers, authority, additional), in record order;
# the test in analyzer/dns (TestGoldenTshark) takes the first dns.count.answers records as the answer section.
# A TCP frame that carries several DNS messages has several values in every column (the test knows).
#
# Run from the repository root:
#   scripts/golden-dns.sh [/path/to/corpus]   (default: testdata/pcaps)
set -euo pipefail
corpus=${1:-testdata/pcaps}
out=analyzer/dns/testdata/golden
command -v tshark >/dev/null || { echo "golden-dns: tshark is missing (apt-get install -y tshark)" >&2; exit 2; }
mkdir -p "$out"

# DNS over UDP and TCP, zone transfer, DNSSEC, EDNS options, mDNS, tunnels (iodine, dnscat2, dns2tcp,
# exfiltration), malformed and hostile traffic, a fragmented IPv6 response, a web capture's lookups, and DNS
# inside tunnels (Teredo, GRE), which pcapframe does not parse (flows follow the outermost header).
captures=(
  tcpdump__dns_udp.pcap
  tcpdump__dns_tcp.pcap
  tcpdump__dnssec.pcap
  tcpdump__edns-opts.pcap
  chrissanders__dns_axfr.pcapng
  chrissanders__http_espn.pcapng
  dmachard__dns2tcp.pcap
  dmachard__dnscat2.pcap
  ndpi__dns-exf.pcap
  ndpi__dns-tunnel-iodine.pcap
  ndpi__bad-dns-traffic.pcap
  pcapplusplus__Pcap__Test_PcapExamples_DnsPackets.pcap
  zeek__dns_mdns.pcap
  zeek__dns_dns-corrupt.pcap
  zeek__ticks-dns-1hr.pcap
  zeek__ipv6-fragmented-dns.pcap
  zeek__nmap-vsn.pcap
  zeek__tunnels_Teredo.pcap
  arkime__6-4-gre-ppp-udp-4-dns.pcap
)

for name in "${captures[@]}"; do
  src=$corpus/$name
  [ -f "$src" ] || { echo "golden-dns: missing $src" >&2; exit 2; }
  tshark -2 -n -r "$src" -Y "dns or mdns or llmnr" -T fields -E separator=/t -E quote=n -E aggregator=$'\x1f' \
    -e frame.number -e dns.flags.response -e dns.id -e dns.qry.name -e dns.qry.type -e dns.flags.rcode \
    -e dns.count.answers -e dns.resp.type -e dns.resp.ttl -e dns.a -e dns.aaaa -e dns.cname -e dns.txt \
    -e dns.response_in -e dns.response_to -e dns.flags.opcode 2>/dev/null >"$out/$name.tsv"
  echo "dns: $name: $(wc -l <"$out/$name.tsv") frames"
done
