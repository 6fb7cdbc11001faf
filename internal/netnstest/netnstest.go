// Package netnstest makes the network namespaces and veth pairs of the tests that generate traffic: the traffic
// goes only to the addresses the test assigns, and everything is removed when the test ends. It needs root and
// the ip command (iproute2).
package netnstest

import (
	"os/exec"
	"strings"
	"testing"
)

// IP runs the ip command with args and fails the test when it fails.
func IP(t testing.TB, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v: %s (the test needs root, network namespaces and iproute2)", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
}

// Veth creates the network namespace ns and a veth pair: a on this side with subnet.1/24, b in ns with
// subnet.2/24 (subnet is three octets, "10.231.0"), both up, and ns's loopback up. The pair and the namespace
// are removed when the test ends.
func Veth(t testing.TB, ns, a, b, subnet string) {
	t.Helper()
	IP(t, "netns", "add", ns)
	t.Cleanup(func() {
		exec.Command("ip", "link", "del", a).Run()
		exec.Command("ip", "netns", "del", ns).Run()
	})
	for _, c := range [][]string{
		{"link", "add", a, "type", "veth", "peer", "name", b},
		{"link", "set", b, "netns", ns},
		{"addr", "add", subnet + ".1/24", "dev", a},
		{"link", "set", a, "up"},
		{"-n", ns, "addr", "add", subnet + ".2/24", "dev", b},
		{"-n", ns, "link", "set", b, "up"},
		{"-n", ns, "link", "set", "lo", "up"},
	} {
		IP(t, c...)
	}
}
