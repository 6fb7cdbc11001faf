#!/usr/bin/env bash
# report-bench.sh [CAPTURE]: time `pcapframe report` on a large capture against `pcapframe convert` of the same
# capture (and `report` from convert's Parquet output, and `plot`), then how long Chromium takes to open the
# report (BenchmarkBrowserOpen). Each command runs REPEAT times (default 3) and the best time is shown.
# CAPTURE defaults to the 1,000,000-packet capture of ../shared/bench/make-bench-pcap.
set -euo pipefail
cd "$(dirname "$0")/.."
cap=${1:-}
if [ -z "$cap" ]; then
  cap=${TMPDIR:-/tmp}/pcapframe-bench-1m.pcap
  [ -f "$cap" ] || ../shared/bench/make-bench-pcap "$cap" 1000000 >&2
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bin=$work/pcapframe
go build -o "$bin" ./cmd/pcapframe
echo "capture: $cap ($(stat -c %s "$cap") bytes); $(nproc) CPUs; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
# run LABEL CMD...: runs CMD ${REPEAT:-3} times (the machine may be shared) and prints the best time, with the
# maximum RSS of that run.
run() {
  local label=$1; shift
  local best='' best_rss=NA t0 t1 t rss
  for _ in $(seq "${REPEAT:-3}"); do
    rss=NA
    t0=$(date +%s.%N)
    if [ -x /usr/bin/time ]; then
      /usr/bin/time -f '%M' -o "$work/rss" "$@" >/dev/null
      rss=$(cat "$work/rss")
    else
      "$@" >/dev/null
    fi
    t1=$(date +%s.%N)
    t=$(awk "BEGIN{print $t1 - $t0}")
    if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t best_rss=$rss; fi
  done
  printf '%-52s %8.2f s  max RSS %s kB  (best of %s)\n' "$label" "$best" "$best_rss" "${REPEAT:-3}"
}
run "convert -> parquet" "$bin" convert "$cap" -o "$work/packets.parquet" -q
run "report (capture) -> html" "$bin" report "$cap" -o "$work/report.html" -q
run "report (parquet) -> html" "$bin" report "$work/packets.parquet" -o "$work/report-pq.html" -q
run "stats (capture), for comparison" "$bin" stats "$cap" -q
run "plot --by dport (parquet) -> png" "$bin" plot "$work/packets.parquet" --by dport -o "$work/dport.png" -q
echo "report size: $(stat -c %s "$work/report.html") bytes"
if command -v chromium >/dev/null; then
  PCAPFRAME_REPORT=$work/report.html go test ./internal/report -run '^$' -bench BenchmarkBrowserOpen -benchtime 5x -count 1 | grep -E 'Benchmark|ok'
fi
