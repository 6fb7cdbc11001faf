#!/bin/sh
# Regenerates openssl-selfsigned.pcap: real OpenSSL (Debian's openssl 3) talking TLS across two network
# namespaces. A server at 203.0.113.66 (an outside address) presents a self-signed certificate made by
# `openssl req -x509` (CN=c2.example.invalid); a client at 10.1.1.5 connects three times without SNI
# (s_client -noservername) and three times naming www.example.com, each time with TLS 1.2 (so that the
# certificate is in clear). tcpdump captures the client's side. Needs root (namespaces, capture).
# Usage: sh hunt/testdata/openssl-selfsigned.sh [OUT.pcap]
set -eu
out=$(realpath -m "${1:-$(dirname "$0")/openssl-selfsigned.pcap}")
tmp=$(mktemp -d)
cs=pf_ss_cli$$ ss=pf_ss_srv$$
cleanup() {
	[ -n "${srvpid:-}" ] && kill "$srvpid" 2>/dev/null || true
	[ -n "${dumppid:-}" ] && kill "$dumppid" 2>/dev/null || true
	ip netns del "$cs" 2>/dev/null || true
	ip netns del "$ss" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
ip netns add "$cs"
ip netns add "$ss"
ip link add pfssc type veth peer name pfsss
ip link set pfssc netns "$cs"
ip link set pfsss netns "$ss"
ip -n "$cs" addr add 10.1.1.5/8 dev pfssc
ip -n "$ss" addr add 203.0.113.66/8 dev pfsss
ip -n "$cs" link set pfssc up
ip -n "$ss" link set pfsss up
ip -n "$cs" link set lo up
ip -n "$ss" link set lo up
ip -n "$cs" route add default dev pfssc
ip -n "$ss" route add default dev pfsss
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj /CN=c2.example.invalid \
	-keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null
ip netns exec "$ss" openssl s_server -quiet -accept 443 -cert "$tmp/cert.pem" -key "$tmp/key.pem" -tls1_2 -www >/dev/null 2>&1 &
srvpid=$!
ip netns exec "$cs" tcpdump -i pfssc -U -w "$out" tcp port 443 2>/dev/null &
dumppid=$!
sleep 2
for sni in -noservername -noservername -noservername "-servername www.example.com" "-servername www.example.com" "-servername www.example.com"; do
	# shellcheck disable=SC2086
	printf 'GET / HTTP/1.0\r\n\r\n' | ip netns exec "$cs" timeout 10 openssl s_client -connect 203.0.113.66:443 $sni -tls1_2 -quiet >/dev/null 2>&1 || true
	sleep 1
done
sleep 1
kill "$dumppid"
wait "$dumppid" 2>/dev/null || true
dumppid=
echo "wrote $out"
