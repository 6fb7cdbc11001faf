package flow

import "bytes"

// Services are named as Zeek's conn.log names them (ssl for TLS).
const (
	svcHTTP = "http"
	svcSSL  = "ssl"
	svcSSH  = "ssh"
	svcFTP  = "ftp"
	svcSMTP = "smtp"
	svcPOP3 = "pop3"
	svcIMAP = "imap"
	svcDNS  = "dns"
	svcSMB  = "smb"
	svcSIP  = "sip"
	svcQUIC = "quic"
	svcRTSP = "rtsp"
	svcIRC  = "irc"
)

// portServices guesses a service from a well-known port, per transport.
var (
	tcpPorts = map[uint16]string{
		21: svcFTP, 22: svcSSH, 23: "telnet", 25: svcSMTP, 53: svcDNS, 80: svcHTTP, 88: "krb", 110: svcPOP3,
		135: "dce_rpc", 139: svcSMB, 143: svcIMAP, 179: "bgp", 389: "ldap", 443: svcSSL, 445: svcSMB, 465: svcSSL,
		554: svcRTSP, 587: svcSMTP, 636: svcSSL, 993: svcSSL, 995: svcSSL, 1433: "mssql", 1723: "pptp",
		3128: svcHTTP, 3306: "mysql", 3389: "rdp", 5060: svcSIP, 5222: "xmpp", 5432: "postgresql", 5900: "vnc",
		6379: "redis", 6667: svcIRC, 8000: svcHTTP, 8080: svcHTTP, 8443: svcSSL, 8554: svcRTSP,
	}
	udpPorts = map[uint16]string{
		53: svcDNS, 67: "dhcp", 68: "dhcp", 69: "tftp", 88: "krb", 123: "ntp", 137: "netbios-ns", 138: "netbios-dgm",
		161: "snmp", 162: "snmp", 443: svcQUIC, 500: "ipsec-ike", 514: "syslog", 546: "dhcp", 547: "dhcp",
		1812: "radius", 1813: "radius", 1900: "ssdp", 4500: "ipsec-ike", 5060: svcSIP, 5353: svcDNS, 5355: svcDNS,
	}
)

// checkers recognise a service from the first payload bytes of the originator (o) and responder (r). A service
// with a checker is named only when its checker agrees; services without one are guessed from the port alone.
var checkers = map[string]func(o, r []byte) bool{
	svcHTTP: func(o, r []byte) bool { return isHTTPRequest(o) || bytes.HasPrefix(r, []byte("HTTP/1.")) },
	svcSSL:  func(o, r []byte) bool { return isTLSRecord(o) || isTLSRecord(r) },
	svcSSH: func(o, r []byte) bool {
		return bytes.HasPrefix(o, []byte("SSH-")) || bytes.HasPrefix(r, []byte("SSH-"))
	},
	svcFTP: func(o, r []byte) bool {
		return bytes.HasPrefix(r, []byte("220")) && !bytes.Contains(r, []byte("SMTP")) && (len(o) == 0 || hasPrefixFold(o, "USER ") || hasPrefixFold(o, "AUTH ") || hasPrefixFold(o, "FEAT"))
	},
	svcSMTP: func(o, r []byte) bool {
		return (bytes.HasPrefix(r, []byte("220")) && (len(o) == 0 || hasPrefixFold(o, "EHLO") || hasPrefixFold(o, "HELO"))) || hasPrefixFold(o, "EHLO ") || hasPrefixFold(o, "HELO ")
	},
	svcPOP3: func(o, r []byte) bool { return bytes.HasPrefix(r, []byte("+OK")) },
	svcIMAP: func(o, r []byte) bool { return bytes.HasPrefix(r, []byte("* OK")) },
	svcSMB:  func(o, r []byte) bool { return isSMB(o) || isSMB(r) },
	svcSIP: func(o, r []byte) bool {
		return bytes.HasPrefix(r, []byte("SIP/2.0")) || bytes.HasPrefix(o, []byte("SIP/2.0")) || sipRequest(o)
	},
	svcRTSP: func(o, r []byte) bool {
		return bytes.HasPrefix(r, []byte("RTSP/1.")) || bytes.Contains(o, []byte(" rtsp://")) || hasPrefixFold(o, "OPTIONS rtsp")
	},
	svcDNS: isDNS,
	svcQUIC: func(o, r []byte) bool {
		return len(o) >= 5 && o[0]&0xc0 == 0xc0 && (o[1]|o[2]|o[3]|o[4]) != 0
	},
}

// detectors are tried in order on flows whose port says nothing (or is contradicted by the payload).
var detectors = []string{svcHTTP, svcSSL, svcSSH, svcSIP, svcRTSP, svcSMB}

// detectService names the application protocol of a flow from its ports and first payload bytes o (originator)
// and r (responder). It returns "" when the flow carried no payload or nothing matched.
func detectService(proto uint8, origP, respP uint16, o, r []byte) string {
	if proto != protoTCP && proto != protoUDP {
		return ""
	}
	if len(o) == 0 && len(r) == 0 {
		return ""
	}
	ports := tcpPorts
	if proto == protoUDP {
		ports = udpPorts
	}
	for _, port := range [2]uint16{respP, origP} {
		svc, ok := ports[port]
		if !ok {
			continue
		}
		check, has := checkers[svc]
		if !has || check(o, r) {
			return svc
		}
	}
	if proto == protoTCP {
		for _, svc := range detectors {
			if checkers[svc](o, r) {
				return svc
			}
		}
	}
	return ""
}

var httpMethods = []string{"GET ", "POST ", "HEAD ", "PUT ", "DELETE ", "OPTIONS ", "CONNECT ", "PATCH ", "TRACE "}

func isHTTPRequest(b []byte) bool {
	for _, m := range httpMethods {
		if bytes.HasPrefix(b, []byte(m)) {
			return !bytes.HasPrefix(b[len(m):], []byte("rtsp:")) && !bytes.HasPrefix(b[len(m):], []byte("sip:"))
		}
	}
	return false
}

// isTLSRecord recognises a TLS (or SSL 3) record header: handshake, alert, change cipher spec or application
// data, version 3.0 to 3.4; or an SSLv2 client hello.
func isTLSRecord(b []byte) bool {
	if len(b) >= 3 && b[0] >= 0x14 && b[0] <= 0x17 && b[1] == 3 && b[2] <= 4 {
		return true
	}
	return len(b) >= 3 && b[0]&0x80 != 0 && b[2] == 1 // SSLv2 CLIENT-HELLO
}

func isSMB(b []byte) bool {
	return len(b) >= 8 && b[0] == 0 && (bytes.Equal(b[4:8], []byte("\xffSMB")) || bytes.Equal(b[4:8], []byte("\xfeSMB")) || bytes.Equal(b[4:8], []byte("\xfdSMB")))
}

func sipRequest(b []byte) bool {
	for _, m := range []string{"INVITE sip:", "REGISTER sip:", "OPTIONS sip:", "BYE sip:", "ACK sip:", "NOTIFY sip:", "SUBSCRIBE sip:"} {
		if bytes.HasPrefix(b, []byte(m)) {
			return true
		}
	}
	return false
}

// isDNS checks a DNS header (UDP; over TCP after the 2-byte length): a sensible opcode and counts.
func isDNS(o, r []byte) bool {
	ok := func(b []byte) bool {
		if len(b) < 12 {
			return false
		}
		opcode := b[2] >> 3 & 0x0f
		qd := int(b[4])<<8 | int(b[5])
		return opcode <= 6 && qd <= 16
	}
	strip := func(b []byte) []byte {
		if len(b) >= 14 && int(b[0])<<8|int(b[1]) >= 12 && !ok(b) {
			return b[2:]
		}
		return b
	}
	return (len(o) > 0 && ok(strip(o))) || (len(r) > 0 && ok(strip(r)))
}

func hasPrefixFold(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && bytes.EqualFold(b[:len(prefix)], []byte(prefix))
}
