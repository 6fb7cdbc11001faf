// Package tsharktest runs tshark for tests that compare pcapframe with Wireshark's dissection, and parses what
// it prints. It is imported by tests only.
package tsharktest

import (
	"encoding/hex"
	"fmt"
	"os/exec"
	"strings"
)

// ParseFollowRaw decodes the output of `tshark -q -z follow,PROTO,raw,N`: lines of hex, Node 1's indented with a
// tab, between header lines. It returns the bytes each node sent, in order.
func ParseFollowRaw(out []byte) (sides [2][]byte, err error) {
	for _, l := range strings.Split(string(out), "\n") {
		if l == "" || strings.HasPrefix(l, "===") || strings.HasPrefix(l, "Follow:") || strings.HasPrefix(l, "Filter:") || strings.HasPrefix(l, "Node ") {
			continue
		}
		s := 0
		if strings.HasPrefix(l, "\t") {
			s, l = 1, l[1:]
		}
		d, err := hex.DecodeString(l)
		if err != nil {
			return sides, fmt.Errorf("bad tshark raw line %q: %w", l, err)
		}
		sides[s] = append(sides[s], d...)
	}
	return sides, nil
}

// FollowRaw runs tshark's Follow Stream on stream n of proto (tcp or udp) in the capture at path and returns the
// bytes each node sent (see ParseFollowRaw).
func FollowRaw(path, proto string, n int64) ([2][]byte, error) {
	out, err := exec.Command("tshark", "-n", "-r", path, "-q", "-z", fmt.Sprintf("follow,%s,raw,%d", proto, n)).Output()
	if err != nil {
		return [2][]byte{}, fmt.Errorf("tshark follow %s stream %d of %q: %w", proto, n, path, err)
	}
	return ParseFollowRaw(out)
}
