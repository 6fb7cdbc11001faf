package cli

import (
	"strings"
	"testing"
)

// TestStatsDNSAndTLSSections runs pcapframe stats on captures with and without DNS and TLS: the DNS and TLS
// sections are printed only when the capture has DNS transactions or TLS handshakes (the numbers themselves are
// checked against tshark in internal/query), and --only names one of them on a capture without says so.
func TestStatsDNSAndTLSSections(t *testing.T) {
	const pcaps = "../../testdata/pcaps/"
	for _, c := range []struct {
		name      string
		args      []string
		want, not []string
	}{
		{"no dns or tls", []string{"chrissanders__synscan.pcapng"}, []string{"## Summary"}, []string{"## DNS", "## TLS"}},
		{"dns", []string{"tcpdump__dns_udp.pcap"},
			[]string{"## DNS: top queried base domains", "## DNS: response codes", "## DNS: query types", "tcpdump.org"}, []string{"## TLS"}},
		{"only tls without tls", []string{"tcpdump__dns_udp.pcap", "--only", "tls_sni,dns_qtypes"},
			[]string{"## TLS: top server names (SNI)\n(skipped: no TLS handshakes in the inputs)", "## DNS: query types"}, []string{"## Summary"}},
		{"json", []string{"chrissanders__synscan.pcapng", "--json"}, []string{`"sections"`}, []string{"dns_", "tls_"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"stats", "-q", pcaps + c.args[0]}, c.args[1:]...)
			out, errOut, code := run(t, "", args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, w := range c.not {
				if strings.Contains(out, w) {
					t.Errorf("output has %q", w)
				}
			}
		})
	}
}
