#!/usr/bin/env bash
# golden-tls.sh: regenerate analyzer/tls/testdata/*.tsv with tshark (Wireshark 4.x), for the tls table's tests.
#
# One file per capture, one line per handshake message tshark dissects, tab-separated:
#   ch    FRAME  STREAM  SNI  JA3  JA3_FULL  VERSION  CIPHERSUITES(comma-separated hex)  ALPNS  SIG_HASH_ALGS  EXTENSION_TYPES  GROUPS
#   sh    FRAME  STREAM  JA3S JA3S_FULL  VERSION  CIPHERSUITE  SUPPORTED_VERSION  ALPN  KEY_SHARE_GROUP
#   ske   FRAME  STREAM  NAMED_CURVE(hex, of an ECDHE ServerKeyExchange)
#   cert  FRAME  STREAM  SUBJECT_CN  SERIAL(hex, as DER)  FIRST_CERT_LENGTH  DNS_SANS(of every certificate of the frame)
#         FIRST_CERT_SHA256 (sha256sum of the first certificate's bytes as tshark extracts them)
# STREAM is tcp.stream, or "u" and udp.stream for QUIC (tshark decrypts QUIC Initial packets itself). SUBJECT_CN is
# the commonName of the first certificate's subject as tshark's x509af dissection prints it ("rdnSequence: N items
# (id-at-commonName=...,...)", which tshark cuts after about 240 characters). Empty fields are "-". The test analyzer/tls/golden_test.go compares the tls table
# with these files. Run from the repository root:
#   scripts/golden-tls.sh [/path/to/captures [NAME...]]   (NAMEs: only these captures)
set -euo pipefail
corpus=${1:-testdata/pcaps}
out=analyzer/tls/testdata
command -v tshark >/dev/null || { echo "golden-tls: tshark is missing (apt-get install -y tshark)" >&2; exit 2; }
command -v xxd >/dev/null || { echo "golden-tls: xxd is missing (apt-get install -y xxd)" >&2; exit 2; }
mkdir -p "$out"

captures=(
  zeek__tls_tls1.2.pcap
  zeek__tls_tls13-ech.pcap
  zeek__tls_heartbleed.pcap
  zeek__quic_curl-8.1.2-dev-http3-www-google-de.pcap
  suricata-verify__bug-1450-04_tls_DER-incomplete-header.pcap
  seed__find_the_image.pcap
  pcapplusplus__ExamplesTest_pcap_examples_tls2.pcap
  pcapplusplus__Pcap__Test_PcapExamples_many_interfaces-1.pcapng
  pcapplusplus__Pcap__Test_PcapExamples_pcapng-example.pcapng
  zeek__smtp.pcap
  zeek__pppoe-over-qinq.pcap
  ndpi__youtubeupload.pcap
  pcapplusplus__ExamplesTest_pcap_examples_many-protocols.pcap
)
if [ $# -gt 1 ]; then captures=("${@:2}"); fi

fields() { # filter, fields...
  local src=$1 filter=$2; shift 2
  local args=()
  for f in "$@"; do args+=(-e "$f"); done
  tshark -n -r "$src" -Y "$filter" -T fields -E separator=/t -E occurrence=a -E aggregator=, "${args[@]}" 2>/dev/null || true
}

# Established, as Zeek's ssl.log and the tls table define it for TLS up to 1.2 (and for handshakes whose
# ServerHello the capture lacks): each side sent a ChangeCipherSpec record, then a handshake record (its
# encrypted Finished). One line per TCP stream with a ClientHello, in $out/NAME.established.tsv:
#   fin  CH_FRAME  STREAM  VERSION(tshark's tls.handshake.version of the ServerHello, "-" without one)  CLIENT  SERVER
# CLIENT and SERVER are 1 when that side sent ChangeCipherSpec then a handshake record, else 0; the client is the
# side that sent the ClientHello. Computed from tshark's record types (tls.record.content_type), in frame order.
established() { # capture path
  fields "$1" "tcp && tls.record" frame.number tcp.stream ip.src ipv6.src tcp.srcport tls.record.content_type tls.handshake.type tls.handshake.version tls.handshake.extensions.supported_version |
  awk -F'\t' -v OFS='\t' '
    { st = $2; src = $3 $4 ":" $5; n = split($6, ct, ","); split($7, ht, ","); split($8, hv, ","); split($9, sv, ",")
      for (i in ht) {
        if (ht[i] == 1 && !(st in client)) { client[st] = src; chf[st] = $1; order[++k] = st }
        if (ht[i] == 2 && (st in client) && !(st in ver)) { ver[st] = (sv[1] != "") ? sv[1] : hv[length(hv)] }
      }
      if (!(st in client)) next
      side = (src == client[st]) ? "c" : "s"
      for (i = 1; i <= n; i++) {
        if (ct[i] == 20) ccs[st, side] = 1
        else if (ct[i] == 22 && ccs[st, side]) fin[st, side] = 1
      }
    }
    END { for (j = 1; j <= k; j++) { st = order[j]
      print "fin", chf[st], st, (st in ver) ? ver[st] : "-", fin[st, "c"] + 0, fin[st, "s"] + 0 } }'
}

for name in "${captures[@]}"; do
  src=$corpus/$name
  [ -f "$src" ] || { echo "golden-tls: missing $src" >&2; exit 2; }
  {
    fields "$src" "tls.handshake.type==1" frame.number tcp.stream udp.stream tls.handshake.type \
      tls.handshake.extensions_server_name tls.handshake.ja3 tls.handshake.ja3_full tls.handshake.version tls.handshake.ciphersuite \
      tls.handshake.extensions_alpn_str tls.handshake.sig_hash_alg tls.handshake.extension.type tls.handshake.extensions_supported_group |
    awk -F'\t' -v OFS='\t' '{ st = ($2 != "") ? $2 : "u" $3
      # keep the ClientHello'"'"'s values: the first element of per-message fields
      split($6, j, ","); split($8, v, ",")
      for (i = 1; i <= 13; i++) if ($i == "") $i = "-"
      print "ch", $1, st, $5, j[1] == "" ? "-" : j[1], $7, v[1] == "" ? "-" : v[1], $9, $10, $11, $12, $13 }'
    fields "$src" "tls.handshake.type==2" frame.number tcp.stream udp.stream \
      tls.handshake.ja3s tls.handshake.ja3s_full tls.handshake.version tls.handshake.ciphersuite tls.handshake.extensions.supported_version \
      tls.handshake.extensions_alpn_str tls.handshake.extensions_key_share_group |
    awk -F'\t' -v OFS='\t' '{ st = ($2 != "") ? $2 : "u" $3
      split($4, j, ","); split($6, v, ","); split($7, c, ",")
      for (i = 1; i <= 10; i++) if ($i == "") $i = "-"
      print "sh", $1, st, j[1] == "" ? "-" : j[1], $5, v[1] == "" ? "-" : v[1], c[1] == "" ? "-" : c[1], $8, $9, $10 }'
    fields "$src" "tls.handshake.type==12 && tls.handshake.server_named_curve" frame.number tcp.stream tls.handshake.server_named_curve |
    awk -F'\t' -v OFS='\t' '{ split($3, c, ","); print "ske", $1, $2, c[1] }'
    fields "$src" "tls.handshake.type==11" frame.number tcp.stream x509af.serialNumber tls.handshake.certificate_length x509ce.dNSName |
    while IFS=$'\t' read -r frame stream serial length sans; do
      cn=$(tshark -n -r "$src" -Y "frame.number==$frame" -V 2>/dev/null | grep -m1 -A1 -E '^ +subject: ' | sed -n 's/.*rdnSequence: [0-9]* items\? (\(.*\)/\1/p' | sed 's/)$//' |
        tr ',' '\n' | sed -n 's/^id-at-commonName=//p' | head -1 || true)
      # SHA-256 of the first certificate's DER bytes as tshark extracts them.
      fp=$({ tshark -n -r "$src" -Y "frame.number==$frame" -T fields -E occurrence=f -e tls.handshake.certificate 2>/dev/null || true; } |
        tr -d ':\n' | xxd -r -p | sha256sum | cut -d' ' -f1)
      printf 'cert\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$frame" "$stream" "${cn:--}" "${serial%%,*}" "${length%%,*}" "${sans:--}" "$fp"
    done
  } >"$out/$name.tsv"
  established "$src" >"$out/$name.established.tsv"
  count() { grep -c "^$1" "$out/$name.tsv" || true; }
  echo "tls: $name: $(count ch) client hellos, $(count sh) server hellos, $(count cert) certificates"
done
