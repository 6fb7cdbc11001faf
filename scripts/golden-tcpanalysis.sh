#!/usr/bin/env bash
# golden-tcpanalysis.sh: regenerate testdata/golden/tcpanalysis/*.tsv: for every capture in testdata/pcaps, the
# frames to which tshark's TCP sequence analysis gives a tcp.analysis.* flag, and the frames `editcap -d` removes
# as duplicates. tcpanalysis/golden_test.go compares them with the packet table's analysis columns frame by frame.
# tshark runs with its default TCP preferences (sequence analysis on) and IP reassembly off, as pcapframe's packet
# table does not reassemble. The duplicates are found by aligning editcap's output with its input: editcap -d keeps
# the first of equal frames, so the input frames that are not the next output frame (same MD5) are the ones it
# removed (their number is checked against the count editcap prints). Needs tshark and editcap (Debian packages tshark, wireshark-common). The first line of each file
# records tshark's version. Rows: frame, the flags (tcp.analysis field names without the prefix, joined by
# commas; "-" for none), tcp.analysis.duplicate_ack_num ("-" when absent), 1 if editcap -d removes the frame.
# Only frames with a flag or removed by editcap have a row.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v tshark >/dev/null || { echo "golden-tcpanalysis: tshark is missing (apt-get install -y tshark)" >&2; exit 2; }
command -v editcap >/dev/null || { echo "golden-tcpanalysis: editcap is missing (apt-get install -y wireshark-common)" >&2; exit 2; }
flags=(retransmission fast_retransmission spurious_retransmission out_of_order duplicate_ack zero_window keep_alive
  lost_segment window_update window_full keep_alive_ack zero_window_probe zero_window_probe_ack ack_lost_segment
  reused_ports)
args=(-e frame.number)
for f in "${flags[@]}"; do args+=(-e "tcp.analysis.$f"); done
args+=(-e tcp.analysis.duplicate_ack_num)
version=$(tshark --version | head -n 1)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
caps=("$@")
[ ${#caps[@]} -gt 0 ] || caps=(testdata/pcaps/*)
n=0
for cap in "${caps[@]}"; do
  case "$cap" in *.tsv|*/LICENSES|*/MANIFEST*) continue ;; esac
  name=$(basename "$cap")
  out=testdata/golden/tcpanalysis/$name.tsv
  # tshark exits non-zero on damaged files after printing the frames it read; keep those.
  tshark -n -r "$cap" -T fields -E header=n -E separator=/t -E occurrence=f \
    -o ip.defragment:FALSE -o ipv6.defragment:FALSE "${args[@]}" >"$work/flags" 2>/dev/null || true
  # Duplicates: align editcap -d's output with its input on the MD5 of each frame (editcap compares bytes only;
  # it rewrites some timestamps). editcap keeps the first of equal frames, so a greedy match finds the removed
  # ones; their number must be the one editcap reports.
  echo "# removed by editcap -d" >"$work/dups" # never empty: awk's NR == FNR must end with this file
  if editcap -d "$cap" "$work/dedup.pcapng" >"$work/editcap.log" 2>&1; then
    tshark -n -r "$cap" -o frame.generate_md5_hash:TRUE -T fields -e frame.number -e frame.md5_hash >"$work/in" 2>/dev/null || true
    echo "# kept" >"$work/kept"
    tshark -n -r "$work/dedup.pcapng" -o frame.generate_md5_hash:TRUE -T fields -e frame.md5_hash >>"$work/kept" 2>/dev/null || true
    awk -F'\t' 'NR == FNR { if (NR > 1) kept[NR - 1] = $1; nk = NR - 1; next }
      { if (k + 1 <= nk && kept[k + 1] == $2) k++; else print $1 }' "$work/kept" "$work/in" >>"$work/dups"
    skipped=$(sed -n 's/.* \([0-9][0-9]*\) packets skipped with duplicate.*/\1/p' "$work/editcap.log")
    found=$(($(wc -l <"$work/dups") - 1))
    if [ "$skipped" = 0 ]; then
      echo "# removed by editcap -d" >"$work/dups" # none (tshark numbers pcapng custom blocks that editcap drops)
    elif [ -n "$skipped" ] && [ "$skipped" != "$found" ]; then
      echo "golden-tcpanalysis: $name: editcap -d skipped $skipped frames, the alignment found $found" >&2
      exit 1
    fi
  fi
  {
    echo "# $version; editcap -d"
    printf 'frame\tflags\tdup_ack_num\tduplicate\n'
    awk -F'\t' -v names="${flags[*]}" 'BEGIN { nf = split(names, name, " ") }
      NR == FNR { dup[$1] = 1; next }
      { s = ""; for (i = 1; i <= nf; i++) if ($(i + 1) != "") s = s (s == "" ? "" : ",") name[i]
        d = $(nf + 2) == "" ? "-" : $(nf + 2)
        if (s != "" || ($1 in dup)) print $1 "\t" (s == "" ? "-" : s) "\t" d "\t" (($1 in dup) ? 1 : 0) }' \
      "$work/dups" "$work/flags"
  } >"$out.tmp"
  mv "$out.tmp" "$out"
  n=$((n + 1))
done
echo "golden-tcpanalysis: wrote $n files"
