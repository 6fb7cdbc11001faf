#!/usr/bin/env bash
# golden-http.sh: regenerate analyzer/http/testdata/golden with tshark (Wireshark 4.x).
#
# analyzer/http/testdata/golden/NAME.tsv: one line per frame that tshark dissects as HTTP (two passes, -2, with
# its default TCP reassembly of headers and bodies, so a message is shown at the frame that completes it;
# frames tshark marks as retransmissions are left out: it dissects HTTP in a retransmitted copy again, where the
# reassembled stream has each byte once).
# Columns, tab-separated; a frame that carries several messages (pipelining) has several values in a column,
# joined with the ASCII unit separator (0x1f), in message order; a field that some of those messages lack has
# fewer values (the test in analyzer/http knows):
#   frame.number tcp.stream http.request.method http.request.uri http.host http.user_agent http.response.code
#   http.content_length
# The test (TestGoldenTshark) compares, per TCP stream, the sequence of requests and of responses with the
# http table's rows of that stream in trans_depth order.
#
# Run from the repository root:
#   scripts/golden-http.sh [/path/to/corpus]   (default: testdata/pcaps)
set -euo pipefail
corpus=${1:-testdata/pcaps}
out=analyzer/http/testdata/golden
command -v tshark >/dev/null || { echo "golden-http: tshark is missing (apt-get install -y tshark)" >&2; exit 2; }
mkdir -p "$out"

# GET, a large POST, pipelined requests, chunked responses, a download, IPv6, 802.11, a web browsing capture,
# attacks (SQL injection, log4j), a lossy capture with retransmissions, and captures with HTTP among other
# traffic.
captures=(
  zeek__http_get.pcap
  zeek__http_http-post-large.pcap
  zeek__http_pipelined-requests.pcap
  zeek__http_iso-download.pcap.gz
  scapy__http_chunk.pcap.gz
  chrissanders__http_espn.pcapng
  chrissanders__arppoison.pcapng
  chrissanders__cryptowall4_c2.pcapng
  arkime__80211http.pcap
  arkime__wireshark-retrans.pcap
  ndpi__WebattackSQLinj.pcap
  ndpi__log4j-webapp-exploit.pcap
  ndpi__trickbot.pcap
  pcapplusplus__Pcap__Test_PcapExamples_four_ipv6_http_streams.pcap
  pcapplusplus__Pcap__Test_PcapExamples_raw_ip.pcap
  markofu__CounterHack_HackChallenge_Cmas2011.pcap
  zeek__tcp_handshake-reorder.pcap
  zeek__tcp_missing-syn.pcap
  zeek__mixed-vlan-mpls.pcap
)

for name in "${captures[@]}"; do
  src=$corpus/$name
  [ -f "$src" ] || { echo "golden-http: missing $src" >&2; exit 2; }
  tshark -2 -n -r "$src" -Y "(http.request or http.response) and not tcp.analysis.retransmission" -T fields -E separator=/t -E quote=n -E aggregator=$'\x1f' \
    -e frame.number -e tcp.stream -e http.request.method -e http.request.uri -e http.host -e http.user_agent \
    -e http.response.code -e http.content_length 2>/dev/null >"$out/$name.tsv"
  echo "http: $name: $(wc -l <"$out/$name.tsv") frames"
done
