#!/usr/bin/env bash
# golden-packets.sh: regenerate testdata/golden/packets/*.tsv, tshark's own dissection of every capture in
# testdata/pcaps, which packet/golden_test.go compares with pcapframe's packet table frame by frame.
# The fields and options are those of ../shared/tools/compare-tshark: absolute sequence numbers, no IP
# reassembly. Needs tshark (Debian package tshark). The first line of each file records tshark's version.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v tshark >/dev/null || { echo "golden-packets: tshark is missing (apt-get install -y tshark)" >&2; exit 2; }
fields=(frame.number frame.time_epoch frame.cap_len frame.len frame.protocols ip.src ip.dst ipv6.src ipv6.dst
  ip.proto ip.ttl ipv6.hlim ip.len tcp.srcport tcp.dstport udp.srcport udp.dstport tcp.seq_raw tcp.ack_raw
  tcp.flags tcp.window_size_value tcp.len udp.length icmp.type icmp.code icmpv6.type icmpv6.code
  ip.hdr_len ip.flags.mf ip.frag_offset ipv6.plen ipv6.fraghdr.offset ipv6.fraghdr.more ipv6.hopopts.len_oct
  ipv6.dstopts.len_oct ipv6.routing.len_oct)
args=()
for f in "${fields[@]}"; do args+=(-e "$f"); done
version=$(tshark --version | head -n 1)
# With arguments, only those captures (paths under testdata/pcaps) are dissected again.
caps=("$@")
[ ${#caps[@]} -gt 0 ] || caps=(testdata/pcaps/*)
for cap in "${caps[@]}"; do
  case "$cap" in *.tsv|*/LICENSES) continue ;; esac
  name=$(basename "$cap")
  out=testdata/golden/packets/$name.tsv
  {
    echo "# $version"
    printf '%s\t' "${fields[@]}" | sed 's/\t$//'
    echo
    # tshark exits non-zero on damaged files after printing the frames it read; keep those.
    tshark -n -r "$cap" -T fields -E header=n -E separator=/t -E occurrence=f \
      -o ip.defragment:FALSE -o ipv6.defragment:FALSE -o tcp.relative_sequence_numbers:FALSE \
      "${args[@]}" 2>/dev/null || true
  } >"$out.tmp"
  mv "$out.tmp" "$out"
done
echo "golden-packets: wrote ${#caps[@]} files"
