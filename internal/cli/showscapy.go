package cli

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// The layers show prints as Scapy's show() does: Scapy's layer and field names, its order of fields and its way
// of writing values (checksums and tos in hex, IP and TCP flags by name, protocols by name, TCP options as
// (name, value) pairs, payload as an escaped byte string). Ports are numbers (Scapy names well-known ports from
// /etc/services). Other layers are printed from gopacket's fields.

// scapyIndent is the indentation of the fields of the layer at depth d: Scapy's two spaces, three more per layer.
func scapyIndent(d int) string { return "  " + strings.Repeat("   ", d) }

// scapyField writes one field as Scapy does: the name padded to ten characters, "= ", the value (sanitised).
func scapyField(w *strings.Builder, d int, name, value string) {
	fmt.Fprintf(w, "%s%-10s= %s\n", scapyIndent(d), name, Sanitize(value))
}

func scapySection(w *strings.Builder, name string) { fmt.Fprintf(w, "###[ %s ]###\n", name) }

func hex16(v uint16) string { return "0x" + strconv.FormatUint(uint64(v), 16) }

// ipProtoNames are the names Scapy gives IP protocols (from /etc/protocols).
var ipProtoNames = map[uint8]string{0: "hopopt", 1: "icmp", 2: "igmp", 4: "ipencap", 6: "tcp", 17: "udp", 41: "ipv6",
	43: "ipv6_route", 44: "ipv6_frag", 47: "gre", 50: "esp", 51: "ah", 58: "ipv6_icmp", 89: "ospf", 103: "pim", 112: "vrrp", 132: "sctp"}

// ipv6NHNames are Scapy's names of IPv6 next headers (scapy.layers.inet6.ipv6nh).
var ipv6NHNames = map[uint8]string{0: "Hop-by-Hop Option Header", 4: "IP", 6: "TCP", 17: "UDP", 41: "IPv6",
	43: "Routing Header", 44: "Fragment Header", 47: "GRE", 50: "Encap Security Payload", 51: "Authentication Header",
	58: "ICMPv6", 59: "No Next Header", 60: "Destination Option Header", 132: "SCTP", 135: "Mobility Header"}

// etherTypeNames are Scapy's names of EtherTypes.
var etherTypeNames = map[uint16]string{0x0800: "IPv4", 0x86dd: "IPv6", 0x0806: "ARP", 0x8100: "n_802_1Q", 0x88a8: "802_AD",
	0x8847: "MPLS", 0x8863: "PPPoE_Discovery", 0x8864: "PPPoE", 0x88cc: "LLDP", 0x8035: "RARP"}

// icmpTypeNames are Scapy's names of ICMP types.
var icmpTypeNames = map[uint8]string{0: "echo-reply", 3: "dest-unreach", 4: "source-quench", 5: "redirect", 8: "echo-request",
	9: "router-advertisement", 10: "router-solicitation", 11: "time-exceeded", 12: "parameter-problem", 13: "timestamp-request",
	14: "timestamp-reply", 17: "address-mask-request", 18: "address-mask-reply"}

func named[K comparable](names map[K]string, v K, def string) string {
	if n, ok := names[v]; ok {
		return n
	}
	return def
}

// ipFlags writes IPv4 flags as Scapy does: the names of the set bits from the lowest (MF, DF, evil), joined by +.
func ipFlags(f layers.IPv4Flag) string {
	var parts []string
	for _, b := range []struct {
		bit  layers.IPv4Flag
		name string
	}{{layers.IPv4MoreFragments, "MF"}, {layers.IPv4DontFragment, "DF"}, {layers.IPv4EvilBit, "evil"}} {
		if f&b.bit != 0 {
			parts = append(parts, b.name)
		}
	}
	return strings.Join(parts, "+")
}

// tcpFlags writes TCP flags as Scapy does: one letter per set bit from the lowest, FSRPAUECN.
func tcpFlags(t *layers.TCP) string {
	var b strings.Builder
	for _, f := range []struct {
		set    bool
		letter byte
	}{{t.FIN, 'F'}, {t.SYN, 'S'}, {t.RST, 'R'}, {t.PSH, 'P'}, {t.ACK, 'A'}, {t.URG, 'U'}, {t.ECE, 'E'}, {t.CWR, 'C'}, {t.NS, 'N'}} {
		if f.set {
			b.WriteByte(f.letter)
		}
	}
	return b.String()
}

// pyBytes writes b as Scapy prints a byte string: Python's repr of bytes without the b prefix (printable ASCII as
// it is, \t \n \r, \\ and the quote escaped, every other byte \xHH).
func pyBytes(b []byte) string {
	quote := byte('\'')
	if strings.IndexByte(string(b), '\'') >= 0 && strings.IndexByte(string(b), '"') < 0 {
		quote = '"'
	}
	var s strings.Builder
	s.WriteByte(quote)
	for _, c := range b {
		switch {
		case c == quote || c == '\\':
			s.WriteByte('\\')
			s.WriteByte(c)
		case c == '\t':
			s.WriteString(`\t`)
		case c == '\n':
			s.WriteString(`\n`)
		case c == '\r':
			s.WriteString(`\r`)
		case c >= 0x20 && c < 0x7f:
			s.WriteByte(c)
		default:
			fmt.Fprintf(&s, `\x%02x`, c)
		}
	}
	s.WriteByte(quote)
	return s.String()
}

// tcpOptions writes TCP options as Scapy's list of (name, value) pairs.
func tcpOptions(opts []layers.TCPOption) string {
	parts := make([]string, 0, len(opts))
	for _, o := range opts {
		d := o.OptionData
		var p string
		switch o.OptionType {
		case layers.TCPOptionKindEndList:
			p = "('EOL', None)"
		case layers.TCPOptionKindNop:
			p = "('NOP', None)"
		case layers.TCPOptionKindMSS:
			if len(d) == 2 {
				p = fmt.Sprintf("('MSS', %d)", binary.BigEndian.Uint16(d))
			}
		case layers.TCPOptionKindWindowScale:
			if len(d) == 1 {
				p = fmt.Sprintf("('WScale', %d)", d[0])
			}
		case layers.TCPOptionKindSACKPermitted:
			p = "('SAckOK', b'')"
		case layers.TCPOptionKindSACK:
			if len(d)%4 == 0 {
				var n []string
				for i := 0; i < len(d); i += 4 {
					n = append(n, strconv.FormatUint(uint64(binary.BigEndian.Uint32(d[i:])), 10))
				}
				p = "('SAck', (" + strings.Join(n, ", ") + "))"
				if len(n) == 1 {
					p = "('SAck', (" + n[0] + ",))"
				}
			}
		case layers.TCPOptionKindTimestamps:
			if len(d) == 8 {
				p = fmt.Sprintf("('Timestamp', (%d, %d))", binary.BigEndian.Uint32(d), binary.BigEndian.Uint32(d[4:]))
			}
		}
		if p == "" {
			p = fmt.Sprintf("(%d, b%s)", uint8(o.OptionType), pyBytes(d))
		}
		parts = append(parts, p)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// writeScapyLayer writes l at depth d in Scapy's form and reports whether it knows the layer.
func writeScapyLayer(w *strings.Builder, d int, l gopacket.Layer) bool {
	switch x := l.(type) {
	case *layers.Ethernet:
		scapySection(w, "Ethernet")
		scapyField(w, d, "dst", x.DstMAC.String())
		scapyField(w, d, "src", x.SrcMAC.String())
		if x.EthernetType < 0x0600 && x.Length > 0 {
			scapyField(w, d, "len", strconv.Itoa(int(x.Length))) // 802.3: a length, no type
		} else {
			scapyField(w, d, "type", named(etherTypeNames, uint16(x.EthernetType), hex16(uint16(x.EthernetType))))
		}
	case *layers.Dot1Q:
		scapySection(w, "802.1Q")
		scapyField(w, d, "prio", strconv.Itoa(int(x.Priority)))
		scapyField(w, d, "id", strconv.Itoa(btoi(x.DropEligible)))
		scapyField(w, d, "vlan", strconv.Itoa(int(x.VLANIdentifier)))
		scapyField(w, d, "type", named(etherTypeNames, uint16(x.Type), hex16(uint16(x.Type))))
	case *layers.ARP:
		scapySection(w, "ARP")
		scapyField(w, d, "hwtype", named(map[uint16]string{1: "Ethernet (10Mb)"}, uint16(x.AddrType), hex16(uint16(x.AddrType))))
		scapyField(w, d, "ptype", named(etherTypeNames, uint16(x.Protocol), hex16(uint16(x.Protocol))))
		scapyField(w, d, "hwlen", strconv.Itoa(int(x.HwAddressSize)))
		scapyField(w, d, "plen", strconv.Itoa(int(x.ProtAddressSize)))
		scapyField(w, d, "op", named(map[uint16]string{1: "who-has", 2: "is-at"}, x.Operation, strconv.Itoa(int(x.Operation))))
		scapyField(w, d, "hwsrc", macOrHex(x.SourceHwAddress))
		scapyField(w, d, "psrc", ipOrHex(x.SourceProtAddress))
		scapyField(w, d, "hwdst", macOrHex(x.DstHwAddress))
		scapyField(w, d, "pdst", ipOrHex(x.DstProtAddress))
	case *layers.IPv4:
		scapySection(w, "IP")
		scapyField(w, d, "version", strconv.Itoa(int(x.Version)))
		scapyField(w, d, "ihl", strconv.Itoa(int(x.IHL)))
		scapyField(w, d, "tos", "0x"+strconv.FormatUint(uint64(x.TOS), 16))
		scapyField(w, d, "len", strconv.Itoa(int(x.Length)))
		scapyField(w, d, "id", strconv.Itoa(int(x.Id)))
		scapyField(w, d, "flags", ipFlags(x.Flags))
		scapyField(w, d, "frag", strconv.Itoa(int(x.FragOffset)))
		scapyField(w, d, "ttl", strconv.Itoa(int(x.TTL)))
		scapyField(w, d, "proto", named(ipProtoNames, uint8(x.Protocol), strconv.Itoa(int(x.Protocol))))
		scapyField(w, d, "chksum", hex16(x.Checksum))
		scapyField(w, d, "src", x.SrcIP.String())
		scapyField(w, d, "dst", x.DstIP.String())
		if len(x.Options) == 0 {
			fmt.Fprintf(w, "%s\\%-10s\\\n", scapyIndent(d), "options")
		} else {
			var opts []string
			for _, o := range x.Options {
				opts = append(opts, fmt.Sprintf("(%d, %s)", o.OptionType, pyBytes(o.OptionData)))
			}
			scapyField(w, d, "options", "["+strings.Join(opts, ", ")+"]")
		}
	case *layers.IPv6:
		scapySection(w, "IPv6")
		scapyField(w, d, "version", strconv.Itoa(int(x.Version)))
		scapyField(w, d, "tc", strconv.Itoa(int(x.TrafficClass)))
		scapyField(w, d, "fl", strconv.Itoa(int(x.FlowLabel)))
		scapyField(w, d, "plen", strconv.Itoa(int(x.Length)))
		scapyField(w, d, "nh", named(ipv6NHNames, uint8(x.NextHeader), strconv.Itoa(int(x.NextHeader))))
		scapyField(w, d, "hlim", strconv.Itoa(int(x.HopLimit)))
		scapyField(w, d, "src", x.SrcIP.String())
		scapyField(w, d, "dst", x.DstIP.String())
	case *layers.TCP:
		scapySection(w, "TCP")
		scapyField(w, d, "sport", strconv.Itoa(int(x.SrcPort)))
		scapyField(w, d, "dport", strconv.Itoa(int(x.DstPort)))
		scapyField(w, d, "seq", strconv.FormatUint(uint64(x.Seq), 10))
		scapyField(w, d, "ack", strconv.FormatUint(uint64(x.Ack), 10))
		scapyField(w, d, "dataofs", strconv.Itoa(int(x.DataOffset)))
		reserved := 0
		if c := x.LayerContents(); len(c) > 12 {
			reserved = int(c[12]>>1) & 7
		}
		scapyField(w, d, "reserved", strconv.Itoa(reserved))
		scapyField(w, d, "flags", tcpFlags(x))
		scapyField(w, d, "window", strconv.Itoa(int(x.Window)))
		scapyField(w, d, "chksum", hex16(x.Checksum))
		scapyField(w, d, "urgptr", strconv.Itoa(int(x.Urgent)))
		scapyField(w, d, "options", tcpOptions(x.Options))
	case *layers.UDP:
		scapySection(w, "UDP")
		scapyField(w, d, "sport", strconv.Itoa(int(x.SrcPort)))
		scapyField(w, d, "dport", strconv.Itoa(int(x.DstPort)))
		scapyField(w, d, "len", strconv.Itoa(int(x.Length)))
		scapyField(w, d, "chksum", hex16(x.Checksum))
	case *layers.ICMPv4:
		scapySection(w, "ICMP")
		t := x.TypeCode.Type()
		scapyField(w, d, "type", named(icmpTypeNames, t, strconv.Itoa(int(t))))
		scapyField(w, d, "code", strconv.Itoa(int(x.TypeCode.Code())))
		scapyField(w, d, "chksum", hex16(x.Checksum))
		if t == 0 || t == 8 || t == 13 || t == 14 || t == 17 || t == 18 {
			scapyField(w, d, "id", hex16(x.Id))
			scapyField(w, d, "seq", hex16(x.Seq))
			if t == 0 || t == 8 {
				scapyField(w, d, "unused", "''")
			}
		}
	case *layers.DNS:
		writeScapyDNS(w, d, x)
	case *gopacket.Payload:
		scapySection(w, "Raw")
		scapyField(w, d, "load", pyBytes(x.Payload()))
	default:
		return false
	}
	return true
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func macOrHex(b []byte) string {
	if len(b) == 6 {
		return fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5])
	}
	return pyBytes(b)
}

func ipOrHex(b []byte) string {
	if len(b) == 4 {
		return fmt.Sprintf("%d.%d.%d.%d", b[0], b[1], b[2], b[3])
	}
	return pyBytes(b)
}

// dnsRcodeNames are Scapy's names of DNS response codes.
var dnsRcodeNames = map[layers.DNSResponseCode]string{0: "ok", 1: "format-error", 2: "server-failure", 3: "name-error",
	4: "not-implemented", 5: "refused"}

// dnsName writes a DNS name as Scapy does: a byte string ending with the root's dot.
func dnsName(b []byte) string {
	return pyBytes(append(append([]byte(nil), b...), '.'))
}

// writeScapyDNS writes a DNS message as Scapy's show() does: the header fields, then each section's records
// nested under \qd\, \an\, \ns\ and \ar\.
func writeScapyDNS(w *strings.Builder, d int, x *layers.DNS) {
	scapySection(w, "DNS")
	scapyField(w, d, "id", strconv.Itoa(int(x.ID)))
	scapyField(w, d, "qr", strconv.Itoa(btoi(x.QR)))
	scapyField(w, d, "opcode", strings.ToUpper(x.OpCode.String()))
	scapyField(w, d, "aa", strconv.Itoa(btoi(x.AA)))
	scapyField(w, d, "tc", strconv.Itoa(btoi(x.TC)))
	scapyField(w, d, "rd", strconv.Itoa(btoi(x.RD)))
	scapyField(w, d, "ra", strconv.Itoa(btoi(x.RA)))
	scapyField(w, d, "z", strconv.Itoa(int(x.Z>>2&1)))
	scapyField(w, d, "ad", strconv.Itoa(int(x.Z>>1&1)))
	scapyField(w, d, "cd", strconv.Itoa(int(x.Z&1)))
	scapyField(w, d, "rcode", named(dnsRcodeNames, x.ResponseCode, strconv.Itoa(int(x.ResponseCode))))
	scapyField(w, d, "qdcount", strconv.Itoa(int(x.QDCount)))
	scapyField(w, d, "ancount", strconv.Itoa(int(x.ANCount)))
	scapyField(w, d, "nscount", strconv.Itoa(int(x.NSCount)))
	scapyField(w, d, "arcount", strconv.Itoa(int(x.ARCount)))
	nested := scapyIndent(d) + " |"
	sub := func(name, value string) { fmt.Fprintf(w, "%s  %-10s= %s\n", nested, name, Sanitize(value)) }
	if len(x.Questions) == 0 {
		scapyField(w, d, "qd", "None")
	} else {
		fmt.Fprintf(w, "%s\\%-10s\\\n", scapyIndent(d), "qd")
		for _, q := range x.Questions {
			fmt.Fprintf(w, "%s###[ DNS Question Record ]###\n", nested)
			sub("qname", dnsName(q.Name))
			sub("qtype", q.Type.String())
			sub("qclass", q.Class.String())
		}
	}
	for _, sec := range []struct {
		name string
		rrs  []layers.DNSResourceRecord
	}{{"an", x.Answers}, {"ns", x.Authorities}, {"ar", x.Additionals}} {
		if len(sec.rrs) == 0 {
			scapyField(w, d, sec.name, "None")
			continue
		}
		fmt.Fprintf(w, "%s\\%-10s\\\n", scapyIndent(d), sec.name)
		for _, rr := range sec.rrs {
			fmt.Fprintf(w, "%s###[ DNS Resource Record ]###\n", nested)
			sub("rrname", dnsName(rr.Name))
			sub("type", rr.Type.String())
			sub("rclass", rr.Class.String())
			sub("ttl", strconv.FormatUint(uint64(rr.TTL), 10))
			sub("rdlen", strconv.Itoa(int(rr.DataLength)))
			var rdata string
			switch rr.Type {
			case layers.DNSTypeA, layers.DNSTypeAAAA:
				rdata = rr.IP.String()
			case layers.DNSTypeCNAME:
				rdata = dnsName(rr.CNAME)
			case layers.DNSTypeNS:
				rdata = dnsName(rr.NS)
			case layers.DNSTypePTR:
				rdata = dnsName(rr.PTR)
			default:
				rdata = pyBytes(rr.Data)
			}
			sub("rdata", rdata)
		}
	}
}
