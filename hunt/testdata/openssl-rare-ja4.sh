#!/bin/sh
# Regenerates openssl-rare-ja4.pcap: real TLS stacks across two network namespaces. The server namespace holds
# 13 outside addresses (203.0.113.10-21 and 203.0.113.99), all answered by one `openssl s_server` presenting a
# certificate that a CA made here signed (CN=www.example.com; not self-signed). From 10.1.1.5, Python's ssl
# module (the "browsing" stack) makes 24 handshakes naming www.example.com to the 12 addresses 203.0.113.10-21;
# then `openssl s_client` with a cipher list of its own (two ECDSA suites, TLS 1.2) connects 3 times to
# 203.0.113.99 without SNI: a stack that reaches 1 of the capture's 13 servers. tcpdump captures the client's
# side. Needs root (namespaces, capture), openssl and python3.
# Usage: sh hunt/testdata/openssl-rare-ja4.sh [OUT.pcap]
set -eu
out=$(realpath -m "${1:-$(dirname "$0")/openssl-rare-ja4.pcap}")
tmp=$(mktemp -d)
cs=pf_rj_cli$$ ss=pf_rj_srv$$
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
ip link add pfrjc type veth peer name pfrjs
ip link set pfrjc netns "$cs"
ip link set pfrjs netns "$ss"
ip -n "$cs" addr add 10.1.1.5/8 dev pfrjc
for i in 10 11 12 13 14 15 16 17 18 19 20 21 99; do
	ip -n "$ss" addr add "203.0.113.$i/8" dev pfrjs
done
for ns in "$cs" "$ss"; do ip -n "$ns" link set lo up; done
ip -n "$cs" link set pfrjc up
ip -n "$ss" link set pfrjs up
ip -n "$cs" route add default dev pfrjc
ip -n "$ss" route add default dev pfrjs
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj "/CN=Example Test CA" \
	-keyout "$tmp/ca.key" -out "$tmp/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=www.example.com \
	-keyout "$tmp/leaf.key" -out "$tmp/leaf.csr" 2>/dev/null
printf 'subjectAltName=DNS:www.example.com\n' >"$tmp/ext"
openssl x509 -req -in "$tmp/leaf.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" -CAcreateserial -days 30 \
	-extfile "$tmp/ext" -out "$tmp/leaf.pem" 2>/dev/null
ip netns exec "$ss" openssl s_server -quiet -accept 443 -cert "$tmp/leaf.pem" -key "$tmp/leaf.key" \
	-cert_chain "$tmp/ca.pem" -tls1_2 -www >/dev/null 2>&1 &
srvpid=$!
ip netns exec "$cs" tcpdump -i pfrjc -U -w "$out" tcp port 443 2>/dev/null &
dumppid=$!
sleep 2
ip netns exec "$cs" python3 - <<'PY'
import socket, ssl, time
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
for i in range(24):
    addr = "203.0.113.%d" % (10 + i % 12)
    with socket.create_connection((addr, 443), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname="www.example.com") as s:
            s.sendall(b"GET / HTTP/1.0\r\n\r\n")
            while s.recv(4096):
                pass
    time.sleep(0.2)
PY
for i in 1 2 3; do
	printf 'GET / HTTP/1.0\r\n\r\n' | ip netns exec "$cs" timeout 10 openssl s_client -connect 203.0.113.99:443 -noservername \
		-tls1_2 -cipher ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-SHA -quiet >/dev/null 2>&1 || true
	sleep 1
done
sleep 1
kill "$dumppid"
wait "$dumppid" 2>/dev/null || true
dumppid=
echo "wrote $out"
