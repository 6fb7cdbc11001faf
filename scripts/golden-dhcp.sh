#!/usr/bin/env bash
# golden-dhcp.sh: regenerate testdata/golden/dhcp/*.tsv with tshark (Wireshark 4.x), for the dhcp table's tests.
#
# One file per capture, one line per message tshark dissects, tab-separated, empty fields as "-", lists
# comma-separated:
#   v4  FRAME  MSG_TYPE(option 53)  XID  CHADDR  HOSTNAME  REQUESTED_IP  YIADDR  SERVER_ID  LEASE_TIME
#       VENDOR_CLASS  GIADDR  DOMAIN  ROUTERS  DNS_SERVERS  PARAMETER_REQUEST_LIST  CIADDR  OP(1 request, 2 reply)
#   v6  FRAME  MSG_TYPE  XID  DUIDS(client's then server's, as tshark lists them)  IAADDRS  VALID_LIFETIMES
#       REQUESTED_OPTIONS  DNS_SERVERS
# The test analyzer/dhcp/golden_test.go compares the dhcp table with these files. Run from the repository root:
#   scripts/golden-dhcp.sh [/path/to/captures [NAME...]]
set -euo pipefail
corpus=${1:-testdata/pcaps}
out=testdata/golden/dhcp
command -v tshark >/dev/null || { echo "golden-dhcp: tshark is missing (apt-get install -y tshark)" >&2; exit 2; }
mkdir -p "$out"

captures=(
  zeek__dhcp_dhcp.pcap
  zeek__dhcp_dhcp_flood.pcap
  tcpdump__dhcpv6-ia-na.pcap
  gopacket__pcapgo_tests_be_test202.pcapng
  gopacket__pcapgo_tests_le_test006.pcapng
  pcapplusplus__ExamplesTest_pcap_examples_many-protocols.pcap
  pcapplusplus__Pcap__Test_PcapExamples_sll.pcap
)
if [ $# -gt 1 ]; then captures=("${@:2}"); fi

fields() { # capture, filter, fields...
  local src=$1 filter=$2; shift 2
  local args=()
  for f in "$@"; do args+=(-e "$f"); done
  tshark -n -r "$src" -Y "$filter" -T fields -E separator=/t -E occurrence=a -E aggregator=, "${args[@]}" 2>/dev/null || true
}

for name in "${captures[@]}"; do
  src=$corpus/$name
  [ -f "$src" ] || { echo "golden-dhcp: missing $src" >&2; exit 2; }
  {
    fields "$src" "dhcp" frame.number dhcp.option.dhcp dhcp.id dhcp.hw.mac_addr dhcp.option.hostname \
      dhcp.option.requested_ip_address dhcp.ip.your dhcp.option.dhcp_server_id dhcp.option.ip_address_lease_time \
      dhcp.option.vendor_class_id dhcp.ip.relay dhcp.option.domain_name dhcp.option.router dhcp.option.domain_name_server \
      dhcp.option.request_list_item dhcp.ip.client dhcp.type |
      awk -F'\t' -v OFS='\t' '{ for (i = 1; i <= 17; i++) if ($i == "") $i = "-"; $1 = "v4\t" $1; print }'
    fields "$src" "dhcpv6" frame.number dhcpv6.msgtype dhcpv6.xid dhcpv6.duid.bytes dhcpv6.iaaddr.ip \
      dhcpv6.iaaddr.valid_lifetime dhcpv6.requested_option_code dhcpv6.dns_server |
      awk -F'\t' -v OFS='\t' '{ for (i = 1; i <= 8; i++) if ($i == "") $i = "-"; $1 = "v6\t" $1; print }'
  } >"$out/$name.tsv"
  echo "dhcp: $name: $(grep -c '^v4' "$out/$name.tsv" || true) DHCPv4 messages, $(grep -c '^v6' "$out/$name.tsv" || true) DHCPv6 messages"
done
