#!/usr/bin/env bash
# golden-stats.sh regenerates testdata/golden/stats/: what tshark says about a few corpus captures, which the tests
# of internal/query compare `pcapframe stats` against (so the tests need no tshark).
#   NAME.phs.txt    tshark -q -z io,phs                      (protocol hierarchy: frames and bytes per path)
#   NAME.iostat.txt tshark -q -z io,stat,10                  (frames and bytes per 10 s from the first frame;
#                   only for captures shorter than an hour)
#   NAME.sums.tsv   KIND KEY PACKETS PAYLOAD, from tshark -T fields: per src/dst address and TCP/UDP sport/dport,
#                   the packets and the summed transport payload (tcp.len, udp.length - 8) of the TCP and UDP
#                   packets, the way pandas' groupby(...)['payload'].sum() adds the notebook's payload column.
# Usage: scripts/golden-stats.sh [CORPUS_DIR]   (default ../shared/testdata/pcaps)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
corpus=${1:-$here/../shared/testdata/pcaps}
out=$here/testdata/golden/stats
command -v tshark >/dev/null || { echo "golden-stats: tshark is missing (apt-get install -y tshark)" >&2; exit 2; }
mkdir -p "$out"
captures=(
  seed__find_the_image.pcap
  pcapplusplus__ExamplesTest_pcap_examples_many-protocols.pcap
  pcapplusplus__Pcap__Test_PcapExamples_DnsPackets.pcap
  chrissanders__http_espn.pcapng
  chrissanders__icmp_traceroute.pcapng
  chrissanders__arppoison.pcapng
)
for c in "${captures[@]}"; do
  name=${c%.*}
  tshark -n -r "$corpus/$c" -q -z io,phs 2>/dev/null >"$out/$name.phs.txt"
  # io,stat prints every interval: only for captures that span less than an hour.
  span=$(capinfos -T -r -u "$corpus/$c" | awk -F'\t' '{print int($2)}')
  if [ "$span" -lt 3600 ]; then
    tshark -n -r "$corpus/$c" -q -z io,stat,10 2>/dev/null >"$out/$name.iostat.txt"
  fi
  # Outermost IP header and transport header only (first occurrence), as the packets table describes them.
  tshark -n -r "$corpus/$c" -T fields -E occurrence=f -E separator=/t \
      -e ip.src -e ipv6.src -e ip.dst -e ipv6.dst -e tcp.srcport -e tcp.dstport -e udp.srcport -e udp.dstport \
      -e tcp.len -e udp.length -e ip.proto -e ipv6.nxt 2>/dev/null |
    LC_ALL=C awk -F'\t' '
      {
        src = ($1 != "") ? $1 : $2; dst = ($3 != "") ? $3 : $4
        if ($5 != "") { sp = $5; dp = $6; pay = $9 } else if ($7 != "") { sp = $7; dp = $8; pay = $10 - 8 } else next
        proto = ($11 != "") ? $11 : $12
        if (src == "" || (proto != 6 && proto != 17)) next
        k["src\t" src]++; p["src\t" src] += pay
        k["dst\t" dst]++; p["dst\t" dst] += pay
        k["sport\t" sp]++; p["sport\t" sp] += pay
        k["dport\t" dp]++; p["dport\t" dp] += pay
      }
      END { for (x in k) printf "%s\t%d\t%d\n", x, k[x], p[x] }' | LC_ALL=C sort >"$out/$name.sums.tsv"
done
echo "golden-stats: wrote $out"
