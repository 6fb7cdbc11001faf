#!/usr/bin/env bash
# golden-ssh.sh: regenerate testdata/golden/ssh/*.tsv with tshark (Wireshark 4.x), for the ssh table's tests.
#
# One file per capture, one line per message tshark dissects, tab-separated, empty fields as "-":
#   id   FRAME  STREAM  SRCPORT  DSTPORT  IDENTIFICATION(ssh.protocol)
#   kex  FRAME  STREAM  SRCPORT  DSTPORT  HASSH  HASSH_SERVER  HASSH_ALGORITHMS  HASSH_SERVER_ALGORITHMS
#        KEX  HOST_KEY  ENC_C2S  ENC_S2C  MAC_C2S  MAC_S2C  COMP_C2S  COMP_S2C     (the KEXINIT's name-lists)
#   seg  FRAME  STREAM  SRCPORT  DSTPORT  TCP_LEN  MESSAGE_CODES(of the clear-text SSH messages in the segment, or "-")
#        (every TCP segment with payload: the sizes Zeek's authentication inference reads)
# tshark computes HASSH and HASSHServer itself (ssh.kex.hassh, ssh.kex.hasshserver). The test
# analyzer/ssh/golden_test.go compares the ssh table with these files. Run from the repository root:
#   scripts/golden-ssh.sh [/path/to/captures [NAME...]]
set -euo pipefail
corpus=${1:-testdata/pcaps}
out=testdata/golden/ssh
command -v tshark >/dev/null || { echo "golden-ssh: tshark is missing (apt-get install -y tshark)" >&2; exit 2; }
mkdir -p "$out"

captures=(
  tcpdump__ssh.pcap
  zeek__ssh_sshguess.pcap
  tcpdump__ipoib.pcap
)
# (tcpdump__geneve.pcap and zeek__tunnels_gre-sample.pcap carry SSH inside tunnels: the flow tracker keeps the
# outer flows, so the table has no row for them.)
if [ $# -gt 1 ]; then captures=("${@:2}"); fi

fields() { # capture, filter, fields...
  local src=$1 filter=$2; shift 2
  local args=()
  for f in "$@"; do args+=(-e "$f"); done
  tshark -n -r "$src" -Y "$filter" -T fields -E separator=/t -E occurrence=f "${args[@]}" 2>/dev/null || true
}

for name in "${captures[@]}"; do
  src=$corpus/$name
  [ -f "$src" ] || { echo "golden-ssh: missing $src" >&2; exit 2; }
  {
    fields "$src" "ssh.protocol" frame.number tcp.stream tcp.srcport tcp.dstport ssh.protocol |
      awk -F'\t' -v OFS='\t' '{ for (i = 1; i <= 5; i++) if ($i == "") $i = "-"; print "id", $1, $2, $3, $4, $5 }'
    fields "$src" "ssh.message_code==20" frame.number tcp.stream tcp.srcport tcp.dstport \
      ssh.kex.hassh ssh.kex.hasshserver ssh.kex.hassh_algorithms ssh.kex.hasshserver_algorithms \
      ssh.kex_algorithms ssh.server_host_key_algorithms \
      ssh.encryption_algorithms_client_to_server ssh.encryption_algorithms_server_to_client \
      ssh.mac_algorithms_client_to_server ssh.mac_algorithms_server_to_client \
      ssh.compression_algorithms_client_to_server ssh.compression_algorithms_server_to_client |
      awk -F'\t' -v OFS='\t' '{ for (i = 1; i <= 16; i++) if ($i == "") $i = "-"; print "kex", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16 }'
    tshark -n -r "$src" -Y 'tcp.len > 0' -T fields -E separator=/t -E occurrence=a -E aggregator=, \
      -e frame.number -e tcp.stream -e tcp.srcport -e tcp.dstport -e tcp.len -e ssh.message_code 2>/dev/null |
      awk -F'\t' -v OFS='\t' '{ if ($6 == "") $6 = "-"; print "seg", $1, $2, $3, $4, $5, $6 }' || true
  } >"$out/$name.tsv"
  echo "ssh: $name: $(grep -c '^id' "$out/$name.tsv" || true) identification lines, $(grep -c '^kex' "$out/$name.tsv" || true) KEXINITs"
done
