#!/usr/bin/env bash
# Measures the packet rate `pcapframe sniff` sustains on loopback without drops while writing the capture file
# and the packet table (Parquet). Needs root. For each rate, a generator sends 64-byte UDP datagrams to
# 127.0.0.1 for DURATION seconds while sniff captures them with a kernel filter; a rate counts as sustained
# when sniff captured every datagram and dropped none (kernel ring, write queue and table queue). On a small
# machine the generator (one process, sendmmsg) may be the limit: then every rate is sustained and the figure is
# a lower bound; BenchmarkSniffOutputs in internal/cli measures the user-space side alone.
#
#   sudo scripts/sniff-bench.sh [RATES...]        (default rates: 25000 50000 100000 200000 300000 400000)
#   DURATION=5 OUTPUTS="-w F.pcap -o F.parquet" scripts/sniff-bench.sh
#
# F in OUTPUTS is replaced by a path in a temporary directory. Output: one line per rate, then the best.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "sniff-bench: needs root (live capture)" >&2; exit 1; }
DURATION=${DURATION:-5}
OUTPUTS=${OUTPUTS:-"-w F.pcapng -o F.parquet"}
rates=("$@")
[ ${#rates[@]} -gt 0 ] || rates=(25000 50000 100000 200000 300000 400000)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/pcapframe" ./cmd/pcapframe
go build -o "$tmp/gen" ./scripts/sniff-bench-gen
port=$(( 40000 + RANDOM % 20000 ))
best=0
printf 'outputs: %s; %s s per rate; %s CPUs\n' "$OUTPUTS" "$DURATION" "$(nproc)"
for rate in "${rates[@]}"; do
	rm -f "$tmp"/F.*
	outs=${OUTPUTS//F./$tmp/F.}
	# shellcheck disable=SC2086
	"$tmp/pcapframe" sniff -q -i lo -f "udp and dst port $port" --duration "$((DURATION + 2))s" $outs 2>"$tmp/sniff.err" &
	pid=$!
	sleep 1
	gen=$("$tmp/gen" -port "$port" -rate "$rate" -duration "${DURATION}s")
	sent=$(awk '{print $2}' <<<"$gen")
	achieved=$(sed -E 's/.*\(([0-9]+)\/s\).*/\1/' <<<"$gen")
	wait "$pid" || { cat "$tmp/sniff.err" >&2; exit 1; }
	line=$(grep 'packets captured' "$tmp/sniff.err")
	captured=$(sed -E 's/^([0-9]+) packets captured.*/\1/' <<<"$line")
	kdrop=$(sed -E 's/.*dropped: ([0-9]+) by the kernel.*/\1/' <<<"$line")
	pdrop=$(sed -E 's/.*, ([0-9]+) by pcapframe.*/\1/' <<<"$line")
	tdrop=$(sed -nE 's/.*\(([0-9]+) more left out of the table only\).*/\1/p' <<<"$line")
	tdrop=${tdrop:-0}
	ok=no
	if [ "$captured" -ge "$sent" ] && [ "$kdrop" = 0 ] && [ "$pdrop" = 0 ] && [ "$tdrop" = 0 ]; then
		ok=yes
		[ "$achieved" -gt "$best" ] && best=$achieved
	fi
	printf 'target %7d/s achieved %7d/s: sent %8d captured %8d; drops: kernel %d, pcapframe %d, table only %d; sustained %s\n' \
		"$rate" "$achieved" "$sent" "$captured" "$kdrop" "$pdrop" "$tdrop" "$ok"
done
echo "highest sustained rate without drops: $best packets/s (limited by the generator when every rate is sustained)"
