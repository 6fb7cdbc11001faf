package filter

import (
	"encoding/binary"

	"golang.org/x/net/bpf"
)

func ldb(off uint32) bpf.Instruction { return bpf.LoadAbsolute{Off: off, Size: 1} }
func ldh(off uint32) bpf.Instruction { return bpf.LoadAbsolute{Off: off, Size: 2} }
func ld(off uint32) bpf.Instruction  { return bpf.LoadAbsolute{Off: off, Size: 4} }

// ether tests the network-layer protocol: the EtherType on Ethernet and Linux cooked captures, the IP version on
// raw IP, the address family on BSD loopback.
func (p *parser) ether(t token, et uint16) node {
	switch p.link {
	case LinkRaw:
		switch et {
		case etIP:
			return eq(0x40, ldb(0), bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: 0xf0})
		case etIP6:
			return eq(0x60, ldb(0), bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: 0xf0})
		}
		return no // raw IP frames carry nothing else
	case LinkSLL:
		return eq(uint32(et), ldh(14))
	case LinkSLL2:
		return eq(uint32(et), ldh(0))
	case LinkNull, LinkLoop:
		return p.family(et)
	}
	return eq(uint32(et), ldh(12))
}

// Address families of the loopback header. AF_INET is 2 everywhere; AF_INET6 is 10 on Linux (the only value
// libpcap built on Linux tests), 24 on NetBSD, OpenBSD and BSD/OS, 28 on FreeBSD and DragonFly, 30 on macOS:
// captures of BSD and macOS loopback carry those, so all four are accepted.
var (
	afIP  = []uint32{2}
	afIP6 = []uint32{10, 24, 28, 30}
)

// family tests the address family of a BSD loopback header. LinkLoop stores it in network byte order; LinkNull in
// the byte order of the capturing machine, which libpcap swaps to the reader's on reading: both orders are tested
// here, since the frames come unswapped and no address family reads as another in the other order.
func (p *parser) family(et uint16) node {
	var afs []uint32
	switch et {
	case etIP:
		afs = afIP
	case etIP6:
		afs = afIP6
	default:
		return no // loopback carries IP only
	}
	var ns []node
	for _, af := range afs {
		if p.link == LinkNull {
			ns = append(ns, eq(af<<24, ld(0))) // little-endian machines, the first test as libpcap's on x86
		}
		ns = append(ns, eq(af, ld(0)))
	}
	return or(ns...)
}

func (p *parser) needEthernet(t token) {
	if p.link != LinkEthernet {
		p.fail(t, "Ethernet addresses and link-layer data exist only on Ethernet interfaces")
	}
}

// ipProto: IPv4 with the given protocol.
func (p *parser) ipProto(t token, proto uint32) node {
	return and(p.ether(t, etIP), eq(proto, ldb(p.off+9)))
}

// ip6Proto: IPv6 whose next header is proto, directly or after a fragment header (as libpcap does).
func (p *parser) ip6Proto(t token, proto uint32) node {
	return and(p.ether(t, etIP6), or(eq(proto, ldb(p.off+6)), and(eq(44, ldb(p.off+6)), eq(proto, ldb(p.off+40)))))
}

// ipNotFrag: the IPv4 packet is not a non-first fragment (so a transport header follows).
func (p *parser) ipNotFrag() node {
	return not(test(bpf.JumpBitsSet, 0x1fff, ldh(p.off+6)))
}

// dir combines the tests of the source and destination fields by the direction qualifier.
func dir(d string, src, dst func() node) node {
	switch d {
	case "src":
		return src()
	case "dst":
		return dst()
	case "src and dst":
		return and(src(), dst())
	}
	return or(src(), dst())
}

// ports matches TCP, UDP or SCTP (protos) ports: check tests the value loaded by its instructions. As libpcap
// does, IPv4 needs a first fragment and IPv6 a transport header right after the fixed header.
func (p *parser) ports(protos []uint32, d string, check func(load ...bpf.Instruction) node) node {
	t := token{pos: 0}
	anyProto := func(off uint32) node {
		var ns []node
		for i, pr := range protos {
			if i == 0 {
				ns = append(ns, eq(pr, ldb(off)))
			} else {
				ns = append(ns, eq(pr)) // A still holds the protocol byte
			}
		}
		return or(ns...)
	}
	off := p.off
	v6 := and(p.ether(t, etIP6), anyProto(off+6),
		dir(d, func() node { return check(ldh(off + 40)) }, func() node { return check(ldh(off + 42)) }))
	v4 := and(p.ether(t, etIP), anyProto(off+9), p.ipNotFrag(),
		dir(d,
			func() node {
				return check(bpf.LoadMemShift{Off: off}, bpf.LoadIndirect{Off: off, Size: 2})
			},
			func() node {
				return check(bpf.LoadMemShift{Off: off}, bpf.LoadIndirect{Off: off + 2, Size: 2})
			}))
	return or(v6, v4)
}

// addr4 tests the 32-bit word at off against addr under mask. The word is read even when mask is 0.
func addr4(off, addr, mask uint32) node {
	if mask == 0xffffffff {
		return eq(addr, ld(off))
	}
	return eq(addr&mask, ld(off), bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: mask})
}

// ip4Host matches an IPv4 host or network in IP headers and, unless qualified by ip, in ARP and RARP.
func (p *parser) ip4Host(t token, q quals, addr, mask uint32) node {
	off := p.off
	ip := func() node {
		return and(p.ether(t, etIP), dir(q.dir,
			func() node { return addr4(off+12, addr, mask) },
			func() node { return addr4(off+16, addr, mask) }))
	}
	arp := func(et uint16) node {
		return and(p.ether(t, et), dir(q.dir,
			func() node { return addr4(off+14, addr, mask) },
			func() node { return addr4(off+24, addr, mask) }))
	}
	switch q.proto {
	case "ip":
		return ip()
	case "arp":
		return arp(etARP)
	case "rarp":
		return arp(etRARP)
	}
	switch p.link {
	case LinkRaw, LinkNull, LinkLoop:
		return ip() // no ARP on these links
	}
	return or(ip(), arp(etARP), arp(etRARP))
}

// addr16 tests the 128-bit address at off against the first bits of addr.
func addr16(off uint32, addr [16]byte, bits int) node {
	var ns []node
	for w := 0; w < 4; w++ {
		// Every word is read, even under a zero mask, as libpcap does: reading past the end of a short
		// frame rejects it.
		b := min(max(bits-32*w, 0), 32)
		mask := uint32(0)
		if b > 0 {
			mask = 0xffffffff << uint(32-b)
		}
		ns = append(ns, addr4(off+uint32(4*w), binary.BigEndian.Uint32(addr[4*w:])&mask, mask))
	}
	return and(ns...)
}

func (p *parser) ip6Host(d string, addr [16]byte, bits int) node {
	off := p.off
	return and(p.ether(token{}, etIP6), dir(d,
		func() node { return addr16(off+8, addr, bits) },
		func() node { return addr16(off+24, addr, bits) }))
}

// mac tests the Ethernet address at off.
func mac(off uint32, m [6]byte) node {
	return and(eq(binary.BigEndian.Uint32(m[2:]), ld(off+2)), eq(uint32(binary.BigEndian.Uint16(m[:2])), ldh(off)))
}

func (p *parser) etherHost(t token, d string, m [6]byte) node {
	p.needEthernet(t)
	return dir(d, func() node { return mac(6, m) }, func() node { return mac(0, m) })
}

// cast handles broadcast and multicast, qualified by ether (the default), ip or ip6.
func (p *parser) cast(t token, proto, what string) node {
	switch proto {
	case "", "ether":
		p.needEthernet(t)
		if what == "broadcast" {
			return mac(0, [6]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
		}
		return test(bpf.JumpBitsSet, 1, ldb(0))
	case "ip":
		if what == "broadcast" {
			p.fail(t, "ip broadcast needs the interface's netmask, which this compiler does not use; try dst host 255.255.255.255")
		}
		return and(p.ether(t, etIP), test(bpf.JumpGreaterOrEqual, 224, ldb(p.off+16)))
	case "ip6":
		if what == "broadcast" {
			p.fail(t, "IPv6 has no broadcast")
		}
		return and(p.ether(t, etIP6), eq(0xff, ldb(p.off+24)))
	}
	p.fail(t, "%q cannot qualify %s", proto, what)
	return nil
}
