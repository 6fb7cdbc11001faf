package filter

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"golang.org/x/net/bpf"
)

// Link types Compile understands (LINKTYPE_* numbers of pcap and pcapng).
const (
	// LinkEthernet is Ethernet, which is also what Linux gives on the loopback interface.
	LinkEthernet = 1
	// LinkRaw is raw IP: frames start with the IPv4 or IPv6 header (tun devices, some VPNs).
	LinkRaw = 101
	// LinkNull is BSD loopback: a 4-byte address family in the byte order of the machine that captured.
	LinkNull = 0
	// LinkLoop is OpenBSD loopback: a 4-byte address family in network byte order.
	LinkLoop = 108
	// LinkSLL is Linux cooked capture v1 (tcpdump -i any before libpcap 1.10): a 16-byte header ending with the
	// EtherType.
	LinkSLL = 113
	// LinkSLL2 is Linux cooked capture v2: a 20-byte header starting with the EtherType.
	LinkSLL2 = 276
)

// EtherTypes.
const (
	etIP   = 0x0800
	etIP6  = 0x86dd
	etARP  = 0x0806
	etRARP = 0x8035
)

// Error is a problem with a filter expression.
type Error struct {
	Pos int    // byte offset in the expression
	Msg string // what is wrong
}

func (e *Error) Error() string { return fmt.Sprintf("%s (at offset %d)", e.Msg, e.Pos) }

// Compile compiles expr, a filter in the syntax of tcpdump (pcap-filter(7)), into a classic BPF program for
// frames of the given link type (LinkEthernet, LinkRaw, LinkSLL, LinkSLL2, LinkNull or LinkLoop). The program returns snaplen for a matching packet (the
// kernel keeps at most that many bytes of it) and 0 for the others. An empty expression matches every packet.
//
// Errors are *Error values for mistakes in the expression, or plain errors for unsupported link types.
func Compile(expr string, linkType int, snaplen uint32) (prog []bpf.Instruction, err error) {
	var off uint32
	switch linkType {
	case LinkEthernet:
		off = 14
	case LinkRaw:
		off = 0
	case LinkNull, LinkLoop:
		off = 4
	case LinkSLL:
		off = 16
	case LinkSLL2:
		off = 20
	default:
		return nil, fmt.Errorf("filters are not supported on link type %d (only Ethernet, raw IP, Linux cooked v1 and v2, and BSD loopback)", linkType)
	}
	toks, err := lex(expr)
	if err != nil {
		return nil, &Error{Pos: 0, Msg: err.Error()}
	}
	p := &parser{toks: toks, link: linkType, off: off}
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(*Error)
			if !ok {
				panic(r)
			}
			prog, err = nil, e
		}
	}()
	n := yes
	if p.peek().kind != tEOF {
		n = p.expr()
		if t := p.peek(); t.kind != tEOF {
			p.fail(t, "syntax error near %s", t)
		}
	}
	if n == no {
		return nil, &Error{Pos: 0, Msg: "filter rejects all packets"}
	}
	prog, err = assemble(n, snaplen)
	if errors.Is(err, errTooLong) {
		return nil, &Error{Pos: 0, Msg: err.Error()}
	}
	return prog, err
}

// quals are the qualifiers of a primitive: protocol, direction and type.
type quals struct{ proto, dir, typ string }

type parser struct {
	toks  []token
	i     int
	link  int
	off   uint32 // offset of the network-layer header in the frame
	last  *quals // qualifiers of the last primitive, inherited by a bare id as in "port 80 or 443"
	depth int
}

func (p *parser) fail(t token, format string, a ...any) {
	panic(&Error{Pos: t.pos, Msg: fmt.Sprintf(format, a...)})
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) peekAt(n int) token {
	if p.i+n < len(p.toks) {
		return p.toks[p.i+n]
	}
	return p.toks[len(p.toks)-1]
}

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (t token) is(s string) bool { return t.kind != tEOF && t.text == s }

func (t token) isWord(s string) bool { return t.kind == tWord && strings.EqualFold(t.text, s) }

func (p *parser) expect(op string) {
	if t := p.next(); !t.is(op) {
		p.fail(t, "expected %q, found %s", op, t)
	}
}

func (p *parser) enter() {
	p.depth++
	if p.depth > maxDepth {
		p.fail(p.peek(), "filter is nested too deeply")
	}
}

func (p *parser) leave() { p.depth-- }

// expr parses terms joined by and/or. As in pcap-filter(7), "and" and "or" have the same precedence and
// associate left to right.
func (p *parser) expr() node {
	p.enter()
	defer p.leave()
	n := p.term()
	for {
		t := p.peek()
		switch {
		case t.isWord("and") || t.is("&&"):
			p.next()
			n = and(n, p.term())
		case t.isWord("or") || t.is("||"):
			p.next()
			n = or(n, p.term())
		default:
			return n
		}
	}
}

var arithOps = map[string]bool{
	"+": true, "-": true, "*": true, "/": true, "%": true, "&": true, "|": true, "^": true, "<<": true,
	">>": true, "=": true, "==": true, "!=": true, "<": true, "<=": true, ">": true, ">=": true,
}

// startsRelation reports whether the term at the cursor is a comparison such as "tcp[13] & 2 != 0" or
// "len > 100", rather than a primitive or an id.
func (p *parser) startsRelation() bool {
	t := p.peek()
	switch {
	case t.is("-"):
		return true
	case t.is("("):
		// A parenthesized arithmetic expression is followed by an operator.
		depth := 0
		for j := p.i; j < len(p.toks); j++ {
			switch {
			case p.toks[j].is("("):
				depth++
			case p.toks[j].is(")"):
				depth--
				if depth == 0 {
					n := p.toks[min(j+1, len(p.toks)-1)]
					return n.kind == tOp && arithOps[n.text]
				}
			}
		}
		return false
	case t.kind != tWord:
		return false
	}
	w := strings.ToLower(t.text)
	if loadProtos[w] && p.peekAt(1).is("[") {
		return true
	}
	_, isConst := constants[w]
	if _, ok := parseNumber(w); ok || w == "len" || isConst {
		n := p.peekAt(1)
		return n.kind == tOp && arithOps[n.text]
	}
	return false
}

func (p *parser) term() node {
	p.enter()
	defer p.leave()
	t := p.peek()
	switch {
	case t.isWord("not") || t.is("!"):
		p.next()
		return not(p.term())
	case p.startsRelation():
		return p.relation()
	case t.is("("):
		p.next()
		n := p.expr()
		p.expect(")")
		return n
	case t.kind == tWord:
		w := strings.ToLower(t.text)
		if unsupported[w] {
			p.fail(t, "%q is not supported by this filter compiler", t.text)
		}
		if isKeyword(w) {
			return p.primitive()
		}
		if p.last != nil {
			return p.id(*p.last)
		}
		p.fail(t, "syntax error near %s: a value needs a qualifier such as host, net or port", t)
	}
	p.fail(t, "syntax error near %s", t)
	return nil
}

// primitive parses [proto] [dir] [type] id, and the primitives with fixed forms (tcp, broadcast, greater N,
// ip proto N, ...).
func (p *parser) primitive() node {
	var q quals
	start := p.peek()
	if t := p.peek(); t.kind == tWord && protoQuals[strings.ToLower(t.text)] {
		q.proto = strings.ToLower(p.next().text)
		if q.proto == "link" {
			q.proto = "ether"
		}
	}
	t := p.peek()
	w := strings.ToLower(t.text)
	if t.kind == tWord {
		switch w {
		case "broadcast", "multicast":
			p.next()
			return p.cast(t, q.proto, w)
		case "proto":
			p.next()
			q.typ = "proto"
			p.last = &q
			return p.id(q)
		case "greater", "less":
			if q.proto != "" {
				p.fail(t, "%q cannot follow %q", w, q.proto)
			}
			p.next()
			n := p.number(p.next())
			if w == "greater" {
				return test(bpf.JumpGreaterOrEqual, n, bpf.LoadExtension{Num: bpf.ExtLen})
			}
			return not(test(bpf.JumpGreaterThan, n, bpf.LoadExtension{Num: bpf.ExtLen}))
		}
	}
	if t.kind == tWord && (w == "src" || w == "dst") {
		p.next()
		q.dir = w
		if a, b := p.peek(), p.peekAt(1); (a.isWord("or") || a.isWord("and")) && (b.isWord("src") || b.isWord("dst")) && !b.isWord(w) {
			p.next()
			p.next()
			q.dir = "src " + strings.ToLower(a.text) + " dst"
		}
		t = p.peek()
		w = strings.ToLower(t.text)
	}
	if t.kind == tWord {
		switch w {
		case "host", "net", "port", "portrange":
			p.next()
			q.typ = w
		}
	}
	if q.dir == "" && q.typ == "" {
		if q.proto == "" {
			p.fail(start, "syntax error near %s", start)
		}
		return p.protoAbbrev(start, q.proto)
	}
	if q.typ == "" {
		q.typ = "host"
	}
	p.last = &q
	return p.id(q)
}

// protoAbbrev is a protocol name used alone: "tcp", "ip6", "arp".
func (p *parser) protoAbbrev(t token, proto string) node {
	switch proto {
	case "ip":
		return p.ether(t, etIP)
	case "ip6":
		return p.ether(t, etIP6)
	case "arp":
		return p.ether(t, etARP)
	case "rarp":
		return p.ether(t, etRARP)
	case "tcp", "udp", "sctp":
		n := ipProtos[proto]
		return or(p.ipProto(t, n), p.ip6Proto(t, n))
	case "icmp":
		return p.ipProto(t, 1)
	case "igmp":
		return p.ipProto(t, 2)
	case "icmp6":
		return p.ip6Proto(t, 58)
	}
	p.fail(t, "%q needs a qualifier (host, src, dst, proto, broadcast or multicast)", proto)
	return nil
}

// id parses the value of a primitive with qualifiers q.
func (p *parser) id(q quals) node {
	t := p.peek()
	if t.kind != tWord || isKeyword(strings.ToLower(t.text)) {
		p.fail(t, "expected a value after %s, found %s", qualText(q), t)
	}
	p.next()
	w := t.text
	switch q.typ {
	case "proto":
		return p.protoID(t, q)
	case "port", "portrange":
		return p.portID(t, q)
	}
	// host or net
	if q.proto == "ether" {
		if q.typ != "host" {
			p.fail(t, "ether net is not supported; use ether host")
		}
		mac, ok := parseMAC(w)
		if !ok {
			p.fail(t, "%q is not an Ethernet address", w)
		}
		return p.etherHost(t, q.dir, mac)
	}
	switch q.proto {
	case "", "ip", "ip6", "arp", "rarp":
	default:
		p.fail(t, "%q cannot qualify %s", q.proto, q.typ)
	}
	if strings.Contains(w, ":") {
		a, err := netip.ParseAddr(w)
		if err != nil || !a.Is6() || a.Zone() != "" {
			p.fail(t, "%q is not an IPv6 address", w)
		}
		if q.proto != "" && q.proto != "ip6" {
			p.fail(t, "%q qualifier applied to an IPv6 address", q.proto)
		}
		bits := 128
		if p.peek().is("/") {
			if q.typ != "net" {
				p.fail(p.peek(), "a prefix length is only valid after net")
			}
			p.next()
			bits = p.prefixLen(p.next(), 128)
			pfx := netip.PrefixFrom(a, bits)
			if pfx.Masked().Addr() != a {
				p.fail(t, "non-network bits set in \"%s/%d\"", w, bits)
			}
		}
		return p.ip6Host(q.dir, a.As16(), bits)
	}
	addr, mask := p.ipv4ID(t, q.typ)
	if q.proto == "ip6" {
		p.fail(t, "ip6 qualifier applied to an IPv4 address")
	}
	return p.ip4Host(t, q, addr, mask)
}

func qualText(q quals) string {
	s := strings.TrimSpace(strings.Join([]string{q.proto, q.dir, q.typ}, " "))
	return strings.Join(strings.Fields(s), " ")
}

// ipv4ID parses an IPv4 host or network: a.b.c.d, a partial address (10.1), a number, a.b.c.d/len or
// a.b.c.d mask m.
func (p *parser) ipv4ID(t token, typ string) (addr, mask uint32) {
	w := t.text
	if v, ok := parseNumber(w); ok && !strings.Contains(w, ".") {
		// A bare number: a host is the 32-bit value, a network is promoted to its leading octets.
		addr, mask = v, 0xffffffff
		if typ == "net" {
			for addr != 0 && addr&0xff000000 == 0 {
				addr <<= 8
				mask <<= 8
			}
		}
	} else {
		octets := strings.Split(w, ".")
		if len(octets) > 4 {
			p.fail(t, "%q is not an IPv4 address", w)
		}
		for _, o := range octets {
			v, err := strconv.ParseUint(o, 10, 8)
			if err != nil {
				if isHostName(w) {
					p.fail(t, "host names are not resolved: give an address instead of %q", w)
				}
				p.fail(t, "%q is not an IPv4 address", w)
			}
			addr = addr<<8 | uint32(v)
		}
		shift := uint(32 - 8*len(octets))
		addr <<= shift
		mask = 0xffffffff << shift
	}
	switch {
	case p.peek().is("/"):
		if typ != "net" {
			p.fail(p.peek(), "a prefix length is only valid after net")
		}
		p.next()
		bits := p.prefixLen(p.next(), 32)
		mask = 0
		if bits > 0 {
			mask = 0xffffffff << uint(32-bits)
		}
		if addr&^mask != 0 {
			p.fail(t, "non-network bits set in \"%s/%d\"", w, bits)
		}
	case p.peek().isWord("mask"):
		if typ != "net" {
			p.fail(p.peek(), "mask is only valid after net")
		}
		p.next()
		mt := p.next()
		m, err := netip.ParseAddr(mt.text)
		if err != nil || !m.Is4() {
			p.fail(mt, "%q is not an IPv4 netmask", mt.text)
		}
		mask = binary.BigEndian.Uint32(m.AsSlice())
		if addr&^mask != 0 {
			p.fail(t, "non-network bits set in \"%s mask %s\"", w, mt.text)
		}
	}
	return addr, mask
}

func isHostName(w string) bool {
	for _, c := range w {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' {
			return true
		}
	}
	return false
}

func (p *parser) prefixLen(t token, max int) int {
	v, ok := parseNumber(t.text)
	if !ok || v > uint32(max) {
		p.fail(t, "%s is not a prefix length (0 to %d)", t, max)
	}
	return int(v)
}

func (p *parser) number(t token) uint32 {
	if t.kind == tWord {
		if v, ok := parseNumber(t.text); ok {
			return v
		}
	}
	p.fail(t, "expected a number, found %s", t)
	return 0
}

// parseNumber parses a decimal, 0x hexadecimal or 0-prefixed octal unsigned 32-bit number.
func parseNumber(s string) (uint32, bool) {
	if s == "" || s[0] < '0' || s[0] > '9' {
		return 0, false
	}
	base := 10
	switch {
	case len(s) > 2 && (s[:2] == "0x" || s[:2] == "0X"):
		s, base = s[2:], 16
	case len(s) > 1 && s[0] == '0':
		s, base = s[1:], 8
	}
	v, err := strconv.ParseUint(s, base, 32)
	return uint32(v), err == nil
}

func parseMAC(s string) ([6]byte, bool) {
	var mac [6]byte
	var parts []string
	switch {
	case strings.Count(s, ":") == 5:
		parts = strings.Split(s, ":")
	case strings.Count(s, "-") == 5:
		parts = strings.Split(s, "-")
	case strings.Count(s, ".") == 2:
		for _, g := range strings.Split(s, ".") {
			if len(g) != 4 {
				return mac, false
			}
			parts = append(parts, g[:2], g[2:])
		}
	default:
		return mac, false
	}
	for i, h := range parts {
		v, err := strconv.ParseUint(h, 16, 8)
		if err != nil || len(h) == 0 || len(h) > 2 {
			return mac, false
		}
		mac[i] = byte(v)
	}
	return mac, true
}

// portID parses a port (number or service name) or a port range "lo-hi".
func (p *parser) portID(t token, q quals) node {
	var protos []uint32
	switch q.proto {
	case "":
		protos = []uint32{132, 6, 17}
	case "tcp", "udp", "sctp":
		protos = []uint32{ipProtos[q.proto]}
	default:
		p.fail(t, "%q cannot qualify %s", q.proto, q.typ)
	}
	port := func(s string) uint32 {
		if v, ok := parseNumber(s); ok {
			if v > 65535 {
				p.fail(t, "illegal port number %d > 65535", v)
			}
			return v
		}
		if v, ok := ports[strings.ToLower(s)]; ok {
			return v
		}
		p.fail(t, "unknown port %q", s)
		return 0
	}
	w := t.text
	if q.typ == "port" {
		v := port(w)
		return p.ports(protos, q.dir, func(load ...bpf.Instruction) node { return eq(v, load...) })
	}
	lo, hi, ok := strings.Cut(w, "-")
	if !ok {
		hi = lo // a single port, as libpcap accepts
	}
	a, b := port(lo), port(hi)
	if a > b {
		a, b = b, a
	}
	return p.ports(protos, q.dir, func(load ...bpf.Instruction) node {
		return and(test(bpf.JumpGreaterOrEqual, a, load...), not(test(bpf.JumpGreaterThan, b)))
	})
}

// protoID parses the value of "[ether|ip|ip6] proto X".
func (p *parser) protoID(t token, q quals) node {
	name := strings.ToLower(strings.TrimPrefix(t.text, "\\"))
	v, isNum := parseNumber(name)
	switch q.proto {
	case "ether":
		if !isNum {
			var ok bool
			if v, ok = etherProtos[name]; !ok {
				p.fail(t, "unknown ether proto %q", t.text)
			}
		}
		if v > 0xffff {
			p.fail(t, "ether proto %d is out of range", v)
		}
		if v <= 1500 {
			p.fail(t, "ether proto values up to 1500 (802.3 lengths, LLC) are not supported")
		}
		return p.ether(t, uint16(v))
	case "", "ip", "ip6":
	default:
		p.fail(t, "%q cannot qualify proto", q.proto)
	}
	if !isNum {
		var ok bool
		if v, ok = ipProtos[name]; !ok {
			p.fail(t, "unknown protocol %q", t.text)
		}
	}
	if v > 255 {
		p.fail(t, "ip proto %d is out of range", v)
	}
	switch q.proto {
	case "ip":
		return p.ipProto(t, v)
	case "ip6":
		return p.ip6Proto(t, v)
	}
	return or(p.ipProto(t, v), p.ip6Proto(t, v))
}
