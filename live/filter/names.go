package filter

// Names the compiler knows. They are built in, not read from /etc/services or /etc/protocols, so that a filter
// means the same on every machine.

// ports maps service names to TCP/UDP port numbers (IANA assignments).
var ports = map[string]uint32{
	"echo": 7, "discard": 9, "daytime": 13, "ftp-data": 20, "ftp": 21, "ssh": 22, "telnet": 23, "smtp": 25,
	"time": 37, "domain": 53, "bootps": 67, "bootpc": 68, "tftp": 69, "gopher": 70, "finger": 79, "http": 80,
	"www": 80, "kerberos": 88, "pop3": 110, "sunrpc": 111, "auth": 113, "nntp": 119, "ntp": 123,
	"netbios-ns": 137, "netbios-dgm": 138, "netbios-ssn": 139, "imap": 143, "imap2": 143, "snmp": 161,
	"snmp-trap": 162, "bgp": 179, "irc": 194, "ldap": 389, "https": 443, "microsoft-ds": 445, "isakmp": 500,
	"syslog": 514, "rtsp": 554, "submission": 587, "ldaps": 636, "imaps": 993, "pop3s": 995, "openvpn": 1194,
	"mysql": 3306, "ms-wbt-server": 3389, "sip": 5060, "mdns": 5353, "postgresql": 5432, "http-alt": 8080,
}

// ipProtos maps IP protocol names to numbers.
var ipProtos = map[string]uint32{
	"icmp": 1, "igmp": 2, "ipip": 4, "ipencap": 4, "tcp": 6, "egp": 8, "udp": 17, "ipv6": 41, "gre": 47,
	"esp": 50, "ah": 51, "icmp6": 58, "ipv6-icmp": 58, "ospf": 89, "pim": 103, "vrrp": 112, "sctp": 132,
}

// etherProtos maps EtherType names to numbers.
var etherProtos = map[string]uint32{
	"ip": 0x0800, "ip6": 0x86dd, "arp": 0x0806, "rarp": 0x8035,
}

// constants are the named values of pcap-filter(7) usable in arithmetic, such as tcp[tcpflags] & tcp-syn.
var constants = map[string]uint32{
	"tcpflags": 13, "tcp-fin": 0x01, "tcp-syn": 0x02, "tcp-rst": 0x04, "tcp-push": 0x08, "tcp-ack": 0x10,
	"tcp-urg": 0x20, "tcp-ece": 0x40, "tcp-cwr": 0x80,
	"icmptype": 0, "icmpcode": 1,
	"icmp-echoreply": 0, "icmp-unreach": 3, "icmp-sourcequench": 4, "icmp-redirect": 5, "icmp-echo": 8,
	"icmp-routeradvert": 9, "icmp-routersolicit": 10, "icmp-timxceed": 11, "icmp-paramprob": 12,
	"icmp-tstamp": 13, "icmp-tstampreply": 14, "icmp-ireq": 15, "icmp-ireqreply": 16, "icmp-maskreq": 17,
	"icmp-maskreply": 18,
	"icmp6type":      0, "icmp6code": 1,
	"icmp6-destinationunreach": 1, "icmp6-packettoobig": 2, "icmp6-timeexceeded": 3,
	"icmp6-parameterproblem": 4, "icmp6-echo": 128, "icmp6-echoreply": 129,
	"icmp6-multicastlistenerquery": 130, "icmp6-multicastlistenerreportv1": 131,
	"icmp6-multicastlistenerdone": 132, "icmp6-routersolicit": 133, "icmp6-routeradvert": 134,
	"icmp6-neighborsolicit": 135, "icmp6-neighboradvert": 136, "icmp6-redirect": 137,
	"icmp6-routerrenum": 138, "icmp6-multicastlistenerreportv2": 143,
}

// unsupported lists pcap-filter(7) keywords this compiler does not implement, so that using one gives a clear
// message instead of a syntax error.
var unsupported = map[string]bool{
	"gateway": true, "protochain": true, "vlan": true, "mpls": true, "pppoed": true, "pppoes": true,
	"geneve": true, "inbound": true, "outbound": true, "ifname": true, "on": true, "rnr": true, "rulenum": true,
	"reason": true, "rset": true, "srnr": true, "subrulenum": true, "action": true, "fddi": true, "tr": true,
	"wlan": true, "type": true, "subtype": true, "dir": true, "ra": true, "ta": true, "addr1": true,
	"addr2": true, "addr3": true, "addr4": true, "llc": true, "atalk": true, "aarp": true, "decnet": true,
	"lat": true, "sca": true, "moprc": true, "mopdl": true, "iso": true, "esis": true, "es-is": true,
	"isis": true, "is-is": true, "clnp": true, "stp": true, "ipx": true, "netbeui": true, "igrp": true,
	"pim": true, "vrrp": true, "carp": true, "ah": true, "esp": true, "radio": true, "slip": true,
	"hsrp": true, "l1": true, "l2": true, "iih": true, "lsp": true, "snp": true, "csnp": true, "psnp": true,
}

// protoQuals are the protocol qualifiers.
var protoQuals = map[string]bool{
	"ether": true, "link": true, "ip": true, "ip6": true, "arp": true, "rarp": true, "tcp": true, "udp": true,
	"sctp": true, "icmp": true, "icmp6": true, "igmp": true,
}

// keywords are the words that cannot be an address, port or name.
var keywords = map[string]bool{
	"and": true, "or": true, "not": true, "src": true, "dst": true, "host": true, "net": true, "port": true,
	"portrange": true, "proto": true, "mask": true, "len": true, "greater": true, "less": true,
	"broadcast": true, "multicast": true,
}

func isKeyword(w string) bool { return keywords[w] || protoQuals[w] || unsupported[w] }
