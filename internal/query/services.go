package query

import (
	"context"
	"fmt"
	"strings"
)

// services names well-known ports (IANA's service names, shortened where analysts use another name: dns for
// domain). It becomes the services table (port, transport, service), which the stats join and queries may use.
var services = []struct {
	port      int
	transport string
	name      string
}{
	{20, "tcp", "ftp-data"}, {21, "tcp", "ftp"}, {22, "tcp", "ssh"}, {23, "tcp", "telnet"}, {25, "tcp", "smtp"},
	{53, "tcp", "dns"}, {53, "udp", "dns"}, {67, "udp", "dhcp"}, {68, "udp", "dhcp"}, {69, "udp", "tftp"},
	{80, "tcp", "http"}, {88, "tcp", "kerberos"}, {88, "udp", "kerberos"}, {110, "tcp", "pop3"},
	{111, "tcp", "sunrpc"}, {111, "udp", "sunrpc"}, {119, "tcp", "nntp"}, {123, "udp", "ntp"},
	{135, "tcp", "msrpc"}, {137, "udp", "netbios-ns"}, {138, "udp", "netbios-dgm"}, {139, "tcp", "netbios-ssn"},
	{143, "tcp", "imap"}, {161, "udp", "snmp"}, {162, "udp", "snmptrap"}, {179, "tcp", "bgp"},
	{389, "tcp", "ldap"}, {389, "udp", "ldap"}, {443, "tcp", "https"}, {443, "udp", "quic"}, {445, "tcp", "smb"},
	{465, "tcp", "smtps"}, {500, "udp", "isakmp"}, {514, "udp", "syslog"}, {515, "tcp", "printer"},
	{520, "udp", "rip"}, {546, "udp", "dhcpv6-client"}, {547, "udp", "dhcpv6-server"}, {554, "tcp", "rtsp"},
	{587, "tcp", "submission"}, {631, "tcp", "ipp"}, {636, "tcp", "ldaps"}, {853, "tcp", "dns-over-tls"},
	{873, "tcp", "rsync"}, {993, "tcp", "imaps"}, {995, "tcp", "pop3s"}, {1080, "tcp", "socks"},
	{1194, "udp", "openvpn"}, {1433, "tcp", "mssql"}, {1521, "tcp", "oracle"}, {1723, "tcp", "pptp"},
	{1812, "udp", "radius"}, {1813, "udp", "radius-acct"}, {1883, "tcp", "mqtt"}, {1900, "udp", "ssdp"},
	{2049, "tcp", "nfs"}, {2049, "udp", "nfs"}, {2152, "udp", "gtp-u"}, {2123, "udp", "gtp-c"},
	{3128, "tcp", "squid"}, {3306, "tcp", "mysql"}, {3389, "tcp", "rdp"}, {3478, "udp", "stun"},
	{4500, "udp", "ipsec-nat-t"}, {4789, "udp", "vxlan"}, {5060, "udp", "sip"}, {5060, "tcp", "sip"},
	{5061, "tcp", "sips"}, {5222, "tcp", "xmpp-client"}, {5353, "udp", "mdns"}, {5355, "udp", "llmnr"},
	{5432, "tcp", "postgresql"}, {5671, "tcp", "amqps"}, {5672, "tcp", "amqp"}, {5900, "tcp", "vnc"},
	{6379, "tcp", "redis"}, {6443, "tcp", "kubernetes-api"}, {6667, "tcp", "irc"}, {8000, "tcp", "http-alt"},
	{8080, "tcp", "http-alt"}, {8443, "tcp", "https-alt"}, {8883, "tcp", "mqtts"}, {9000, "tcp", "cslistener"},
	{9092, "tcp", "kafka"}, {9200, "tcp", "elasticsearch"}, {11211, "tcp", "memcache"},
	{27017, "tcp", "mongodb"},
}

// createServices (re)creates the services table and the proto_name macro.
func (e *Engine) createServices(ctx context.Context) error {
	if e.foreign && !e.opts.Foreign {
		// A database pcapframe did not create keeps its own tables; only the macro is made, for this connection.
		if _, err := e.conn.ExecContext(ctx, sqlProtoName); err != nil {
			return fmt.Errorf("create proto_name macro: %w", cleanError(err))
		}
		return nil
	}
	var b strings.Builder
	b.WriteString("CREATE OR REPLACE TABLE services (port INTEGER, transport VARCHAR, service VARCHAR);\nINSERT INTO services VALUES ")
	for i, s := range services {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "(%d, %s, %s)", s.port, quoteString(s.transport), quoteString(s.name))
	}
	for _, stmt := range []string{b.String(), "COMMENT ON TABLE services IS 'Well-known ports and their service names.'", sqlProtoName} {
		if _, err := e.conn.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("create services table: %w", cleanError(err))
		}
	}
	return nil
}
