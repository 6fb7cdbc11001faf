#!/usr/bin/env bash
# bench-tables.sh [ROUNDS] [CAPTURE] [BASE]: the speed target of every table in one pass (issues 12 and 14): in
# alternated rounds, `convert -q CAPTURE -o p.parquet` (the packet table alone) and `convert -q CAPTURE --tables all
# -o DIR` (all ten tables) of HEAD, and the ten tables of the commit BASE when given, each timed with GNU time
# (CPU = user + system, wall, max RSS); prints the rate of all tables as a share of the packet table's, by CPU and
# by wall time (the target: at least 1/3). With BASE, the last round's tables of both binaries are compared row
# by row (every row of every table in both, as a multiset) with pcapframe's own SQL. Binaries are built from
# `git archive` of the commits, not from the working tree. ROUNDS defaults to 3; CAPTURE to the 1,000,000-packet
# capture of ../shared/bench/make-bench-pcap.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
cap=${2:-}
base=${3:-}
if [ -z "$cap" ]; then
  cap=${TMPDIR:-/tmp}/pcapframe-bench-1m.pcap
  [ -f "$cap" ] || ../shared/bench/make-bench-pcap "$cap" 1000000 >&2
fi
[ -x /usr/bin/time ] || { echo "bench-tables: GNU time is missing (apt-get install -y time)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
build() { # build COMMIT BIN
  mkdir -p "$work/src-$1"
  git archive "$1" | tar -x -C "$work/src-$1"
  (cd "$work/src-$1" && go build -o "$2" ./cmd/pcapframe)
}
head=$(git rev-parse --short HEAD)
build "$head" "$work/head"
[ -z "$base" ] || build "$base" "$work/base"
echo "capture $cap; HEAD $head${base:+; BASE $base}; $(nproc) CPUs; $(date -u +%FT%TZ)"
# timed LABEL CMD...: runs CMD, sets cpu, wall and rss
timed() {
  local label=$1; shift
  /usr/bin/time -f '%e %U %S %M' -o "$work/t" "$@" >/dev/null
  read -r wall u s rss <"$work/t"
  cpu=$(awk "BEGIN{printf \"%.2f\", $u + $s}")
  rss=$((rss / 1024))
}
for r in $(seq 1 "$rounds"); do
  timed packets "$work/head" convert -q "$cap" -o "$work/p.parquet"
  pc=$cpu pw=$wall pr=$rss
  line="round $r (load $(cut -d' ' -f1 /proc/loadavg)): packets ${pc} s CPU, ${pw} s wall, ${pr} MiB"
  for b in head ${base:+base}; do
    rm -rf "$work/out-$b"; mkdir -p "$work/out-$b"
    timed "$b" "$work/$b" convert -q "$cap" --tables all -o "$work/out-$b"
    line="$line | $b all ${cpu} s CPU, ${wall} s wall, ${rss} MiB: rate $(awk "BEGIN{printf \"%.2f\", $pc / $cpu}") by CPU, $(awk "BEGIN{printf \"%.2f\", $pw / $wall}") by wall"
  done
  echo "$line"
done
if [ -n "$base" ]; then
  for t in packets flows endpoints dns tls ssh dhcp credentials http files; do
    a=$work/out-head/$t.parquet b=$work/out-base/$t.parquet
    if [ "$t" = packets ]; then
      q="select (select count(*) from '$a') - (select count(*) from '$b')"
    else
      q="select (select count(*) from (select * from '$a' except all select * from '$b')) + (select count(*) from (select * from '$b' except all select * from '$a'))"
    fi
    d=$("$work/head" sql "$a" --allow-files -e "$q" --format csv | tail -1)
    echo "$t: $d rows differ"
  done
fi
