#!/usr/bin/env bash
# bench-convert.sh [CAPTURE]: time `pcapframe convert` to Parquet (one worker) side by side with tshark's field
# extraction of the same columns, in one run, and report packets/s, the speed-up and peak memory (max RSS).
# CAPTURE defaults to a 1,000,000-packet capture built by ../shared/bench/make-bench-pcap (needs tshark and
# tcpreplay). Results go to standard output; BENCHMARKS.md records them with the machine they ran on.
set -euo pipefail
cd "$(dirname "$0")/.."
cap=${1:-}
if [ -z "$cap" ]; then
  cap=${TMPDIR:-/tmp}/pcapframe-bench-1m.pcap
  [ -f "$cap" ] || ../shared/bench/make-bench-pcap "$cap" 1000000 >&2
fi
command -v tshark >/dev/null || { echo "bench-convert: tshark is missing (apt-get install -y tshark)" >&2; exit 2; }
bin=$(mktemp -d)/pcapframe
go build -o "$bin" ./cmd/pcapframe
out=$(mktemp -d)
packets=$(capinfos -T -r -c "$cap" | awk -F'\t' '{print $2}')
size=$(stat -c %s "$cap")

# run LABEL CMD...: wall seconds and max RSS (kB) of one command, via GNU time if present or bash's time otherwise.
run() {
  local label=$1; shift
  local t0 t1 rss cpu=NA
  rm -f "$out"/p.parquet "$out"/p.csv
  t0=$(date +%s.%N)
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f '%M %U %S' -o "$out/rss" "$@" >/dev/null
    read -r rss u s <"$out/rss"
    cpu=$(awk "BEGIN{printf \"%.2f\", $u + $s}")
  else
    "$@" >/dev/null
    rss=NA
  fi
  t1=$(date +%s.%N)
  local secs; secs=$(awk "BEGIN{print $t1 - $t0}")
  local size=0 f; for f in "$out"/p.parquet "$out"/p.csv; do [ -f "$f" ] && size=$(stat -c %s "$f"); done
  printf '%-50s %8.2f s wall %6s s CPU %12.0f packets/s  max RSS %s kB  output %s bytes\n' "$label" "$secs" "$cpu" \
    "$(awk "BEGIN{print $packets / $secs}")" "$rss" "$size"
  echo "$secs" >"$out/last"
}

echo "capture: $cap ($packets packets, $size bytes); $(nproc) CPUs; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "pcapframe: $("$bin" --version 2>/dev/null || echo dev); $(tshark --version | head -n1)"
fields=(-e frame.number -e frame.time_epoch -e frame.cap_len -e frame.len -e ip.version -e ip.hdr_len -e ip.dsfield
  -e ip.len -e ip.id -e ip.flags -e ip.frag_offset -e ip.ttl -e ip.proto -e ip.checksum -e ip.src -e ip.dst
  -e tcp.srcport -e tcp.dstport -e tcp.seq_raw -e tcp.ack_raw -e tcp.hdr_len -e tcp.flags -e tcp.window_size_value
  -e tcp.checksum -e tcp.urgent_pointer -e tcp.len -e udp.srcport -e udp.dstport -e udp.length -e tcp.payload -e udp.payload)
run "tshark -T fields (31 fields)" tshark -n -r "$cap" -T fields "${fields[@]}"
tsecs=$(cat "$out/last")
# The same columns as the tshark run (tcp.payload/udp.payload -> payload_raw), then every default column.
same=frame,time,caplen,wirelen,version,ihl,tos,len,id,ip_flags,frag,ttl,proto,ip_chksum,src,dst,sport,dport,seq,ack,dataofs,tcp_flags,window,tcp_chksum,urgptr,payload,udp_len,payload_raw
# The short runs are noisier than tshark's long one: each is run three times and the median counts.
median3() { sort -n | sed -n 2p; }
for i in 1 2 3; do
  run "pcapframe -> parquet zstd, same columns, 1 CPU ($i)" env GOMAXPROCS=1 "$bin" convert -q "$cap" -o "$out/p.parquet" --columns "$same"
  cat "$out/last" >>"$out/z"
done
zsecs=$(median3 <"$out/z")
for i in 1 2 3; do
  run "pcapframe -> parquet none, same columns, 1 CPU ($i)" env GOMAXPROCS=1 "$bin" convert -q "$cap" -o "$out/p.parquet" --columns "$same" --compression none
  cat "$out/last" >>"$out/n"
done
nsecs=$(median3 <"$out/n")
run "pcapframe -> parquet zstd, default columns, 1 CPU" env GOMAXPROCS=1 "$bin" convert -q "$cap" -o "$out/p.parquet"
run "pcapframe -> parquet zstd, default columns, 2 CPUs" "$bin" convert -q "$cap" -o "$out/p.parquet"
run "pcapframe -> csv, default columns, 2 CPUs" "$bin" convert -q "$cap" -o "$out/p.csv"
printf 'speed-up over tshark field extraction (same columns, 1 CPU, wall time, median of 3): %.1fx with zstd, %.1fx uncompressed\n' \
  "$(awk "BEGIN{print $tsecs / $zsecs}")" "$(awk "BEGIN{print $tsecs / $nsecs}")"
rm -rf "$out"
