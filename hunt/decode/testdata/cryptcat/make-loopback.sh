#!/bin/sh
# make-loopback.sh: regenerate loopback.pcap, a capture of farm9's cryptcat crypto layer sending a known file over
# loopback TCP, for hunt/decode's TestCryptcatLoopback.
#
# The encrypting code is farm9's, not ours: farm9crypt.cpp, farm9crypt.h, twofish2.cpp and twofish2.h of cryptcat
# for Windows 1.2 (farm9 Public License and Cryptix General Licence; e.g. the GitHub repository
# pspn/cryptcat-win-1.2). They are not vendored: give their directory as CRYPTCAT_SRC. The Windows includes are
# dropped and the POSIX ones forced, nothing else is changed. ccdrv.cpp (below) stands in for netcat: it calls
# farm9crypt_init/farm9crypt_write on a connected socket in writes of varied sizes (1 to 8192 bytes, as netcat
# writes what each read of its input returned), and the receiver decrypts with farm9crypt_read; the script checks
# that the receiver got the file back.
#
# The file is 30000 bytes, byte i = (i*131 + (i>>8)*7) mod 256 (the test computes it too); the key is
# "S3cret-Key!" (upper case and punctuation exercise cryptcat's key derivation). Needs g++, tcpdump, root.
set -eu
: "${CRYPTCAT_SRC:?set CRYPTCAT_SRC to the directory holding farm9crypt.cpp, farm9crypt.h, twofish2.cpp, twofish2.h}"
out=$(cd "$(dirname "$0")" && pwd)/loopback.pcap
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for f in farm9crypt.cpp farm9crypt.h twofish2.cpp twofish2.h; do
  sed -e '/#include <io.h>/d' -e '/#include <winsock2\?.h>/d' -e '/#include <conio.h>/d' "$CRYPTCAT_SRC/$f" >"$work/$f"
done
cat >"$work/ccdrv.cpp" <<'CPP'
// ccdrv: drives farm9's farm9crypt_write/farm9crypt_read over a loopback TCP connection, as netcat does.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
extern "C" {
#include "farm9crypt.h"
}
int main(int argc, char** argv) {
	if (argc != 5) { fprintf(stderr, "usage: ccdrv listen|send PORT KEY FILE\n"); return 2; }
	struct sockaddr_in a; memset(&a, 0, sizeof a);
	a.sin_family = AF_INET; a.sin_port = htons(atoi(argv[2])); a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	farm9crypt_init(argv[3]);
	if (strcmp(argv[1], "listen") == 0) {
		int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
		setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (bind(s, (struct sockaddr*)&a, sizeof a) || listen(s, 1)) { perror("bind"); return 1; }
		int c = accept(s, NULL, NULL);
		FILE* f = fopen(argv[4], "wb");
		static char buf[8192 + 64];
		int n;
		while ((n = farm9crypt_read(c, buf, 8192)) > 0) fwrite(buf, 1, n, f);
		fclose(f); close(c); close(s);
		return 0;
	}
	FILE* f = fopen(argv[4], "rb");
	static char data[1 << 20];
	int len = fread(data, 1, sizeof data, f);
	fclose(f);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(s, (struct sockaddr*)&a, sizeof a)) { perror("connect"); return 1; }
	static const int sizes[] = {8192, 1, 15, 16, 17, 100, 4000, 33, 8192, 5, 2, 31, 32, 4096};
	for (int pos = 0, i = 0; pos < len; i++) {
		int n = sizes[i % (sizeof sizes / sizeof sizes[0])];
		if (n > len - pos) n = len - pos;
		farm9crypt_write(s, data + pos, n);
		pos += n;
	}
	close(s);
	return 0;
}
CPP
# -O0: farm9crypt_write writes a block of an 8192-byte message past its 8193-byte static outBuffer (the real
# cryptcat does too); at -O1 the overrun landed on something that mattered and the sender crashed
g++ -O0 -w -include stdio.h -include stdlib.h -include string.h -include sys/socket.h -o "$work/ccdrv" \
  "$work/ccdrv.cpp" "$work/farm9crypt.cpp" "$work/twofish2.cpp"
python3 -c 'import sys; sys.stdout.buffer.write(bytes((i*131 + (i>>8)*7) % 256 for i in range(30000)))' >"$work/file"
port=40707
tcpdump -i lo -U -s 0 -w "$work/cap.pcap" "tcp port $port" 2>"$work/tcpdump.log" &
tcpdump=$!
trap 'kill $tcpdump 2>/dev/null; rm -rf "$work"' EXIT
sleep 2
"$work/ccdrv" listen $port 'S3cret-Key!' "$work/received" &
listener=$!
sleep 1
"$work/ccdrv" send $port 'S3cret-Key!' "$work/file"
wait $listener
sleep 1
kill $tcpdump
wait $tcpdump || true
cmp "$work/file" "$work/received"
cp "$work/cap.pcap" "$out"
echo "wrote $out ($(wc -c <"$out") bytes); the receiver decrypted the file back"
