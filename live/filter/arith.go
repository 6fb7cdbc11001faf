package filter

import (
	"strings"

	"golang.org/x/net/bpf"
)

// loadProtos are the protocols whose headers can be indexed, as in tcp[13] or ip[2:2].
var loadProtos = map[string]bool{
	"ether": true, "link": true, "ip": true, "ip6": true, "arp": true, "rarp": true, "tcp": true, "udp": true,
	"sctp": true, "icmp": true, "icmp6": true, "igmp": true,
}

// arith is an arithmetic expression of a relation.
type arith struct {
	op    string // "k" constant, "len", "load", "neg", or a binary operator
	k     uint32
	l, r  *arith
	proto string // load: header
	size  int    // load: 1, 2 or 4 bytes
	tok   token
}

const maxScratch = 16 // BPF_MEMWORDS

// relation parses "arith relop arith".
func (p *parser) relation() node {
	var guards []node
	l := p.arith(0, &guards)
	t := p.next()
	var cond bpf.JumpTest
	neg := false
	switch t.text {
	case "=", "==":
		cond = bpf.JumpEqual
	case "!=":
		cond, neg = bpf.JumpEqual, true
	case ">":
		cond = bpf.JumpGreaterThan
	case ">=":
		cond = bpf.JumpGreaterOrEqual
	case "<":
		cond, neg = bpf.JumpGreaterOrEqual, true
	case "<=":
		cond, neg = bpf.JumpGreaterThan, true
	default:
		p.fail(t, "expected a comparison operator, found %s", t)
	}
	if t.kind != tOp {
		p.fail(t, "expected a comparison operator, found %s", t)
	}
	r := p.arith(0, &guards)
	var cmp node
	switch {
	case l.op == "k" && r.op == "k":
		ok := false
		switch cond {
		case bpf.JumpEqual:
			ok = l.k == r.k
		case bpf.JumpGreaterThan:
			ok = l.k > r.k
		case bpf.JumpGreaterOrEqual:
			ok = l.k >= r.k
		}
		cmp = constNod(ok)
	case r.op == "k":
		cmp = testNode{pre: p.gen(l, 0), cond: cond, k: r.k}
	default:
		pre := p.gen(r, 0)
		pre = append(pre, bpf.StoreScratch{Src: bpf.RegA, N: 0})
		pre = append(pre, p.gen(l, 1)...)
		pre = append(pre, bpf.LoadScratch{Dst: bpf.RegX, N: 0})
		cmp = testNode{pre: pre, cond: cond, x: true}
	}
	if neg {
		cmp = not(cmp)
	}
	return and(append(guards, cmp)...)
}

// Operator precedence, lowest first, as in libpcap's grammar.
var precedence = map[string]int{
	"|": 1, "^": 1, "&": 2, "<<": 3, ">>": 3, "+": 4, "-": 4, "*": 5, "/": 5, "%": 5,
}

// arith parses an arithmetic expression whose operators bind tighter than minPrec, by precedence climbing.
func (p *parser) arith(minPrec int, guards *[]node) *arith {
	p.enter()
	defer p.leave()
	l := p.unary(guards)
	for {
		t := p.peek()
		prec, ok := precedence[t.text]
		if t.kind != tOp || !ok || prec <= minPrec {
			return l
		}
		p.next()
		r := p.arith(prec, guards)
		l = p.fold(&arith{op: t.text, l: l, r: r, tok: t})
	}
}

func (p *parser) unary(guards *[]node) *arith {
	p.enter()
	defer p.leave()
	t := p.next()
	switch {
	case t.is("-"):
		x := p.unary(guards)
		if x.op == "k" {
			return &arith{op: "k", k: -x.k}
		}
		return &arith{op: "neg", l: x}
	case t.is("("):
		x := p.arith(0, guards)
		p.expect(")")
		return x
	case t.kind != tWord:
		p.fail(t, "syntax error near %s", t)
	}
	w := strings.ToLower(t.text)
	if v, ok := parseNumber(w); ok {
		return &arith{op: "k", k: v}
	}
	if v, ok := constants[w]; ok {
		return &arith{op: "k", k: v}
	}
	if w == "len" {
		return &arith{op: "len"}
	}
	if loadProtos[w] && p.peek().is("[") {
		p.next()
		idx := p.arith(0, guards)
		size := 1
		if p.peek().is(":") {
			p.next()
			st := p.next()
			v, ok := parseNumber(st.text)
			if !ok || (v != 1 && v != 2 && v != 4) {
				p.fail(st, "data size must be 1, 2, or 4")
			}
			size = int(v)
		}
		p.expect("]")
		if w == "link" {
			w = "ether"
		}
		*guards = append(*guards, p.loadGuard(t, w))
		return &arith{op: "load", proto: w, l: idx, size: size, tok: t}
	}
	p.fail(t, "syntax error near %s", t)
	return nil
}

// fold computes constant operations at compile time and rejects those the kernel would refuse.
func (p *parser) fold(a *arith) *arith {
	if a.r.op == "k" {
		switch a.op {
		case "/", "%":
			if a.r.k == 0 {
				p.fail(a.tok, "division by zero")
			}
		case "<<", ">>":
			if a.r.k > 31 {
				p.fail(a.tok, "shift by more than 31 bits")
			}
		}
	}
	if a.l.op != "k" || a.r.op != "k" {
		return a
	}
	x, y := a.l.k, a.r.k
	var v uint32
	switch a.op {
	case "+":
		v = x + y
	case "-":
		v = x - y
	case "*":
		v = x * y
	case "/":
		v = x / y
	case "%":
		v = x % y
	case "&":
		v = x & y
	case "|":
		v = x | y
	case "^":
		v = x ^ y
	case "<<":
		v = x << y
	case ">>":
		v = x >> y
	}
	return &arith{op: "k", k: v}
}

// loadGuard is the condition under which a header can be indexed: the packet carries that header.
func (p *parser) loadGuard(t token, proto string) node {
	switch proto {
	case "ether":
		return yes // the frame's first bytes, whatever the link type
	case "ip":
		return p.ether(t, etIP)
	case "ip6":
		return p.ether(t, etIP6)
	case "arp":
		return p.ether(t, etARP)
	case "rarp":
		return p.ether(t, etRARP)
	case "icmp6":
		return and(p.ether(t, etIP6), eq(58, ldb(p.off+6)))
	}
	// Transport headers are indexed over IPv4 only, from the end of the IP header, in first fragments.
	return and(p.ipProto(t, ipProtos[proto]), p.ipNotFrag())
}

var aluOps = map[string]bpf.ALUOp{
	"+": bpf.ALUOpAdd, "-": bpf.ALUOpSub, "*": bpf.ALUOpMul, "/": bpf.ALUOpDiv, "%": bpf.ALUOpMod,
	"&": bpf.ALUOpAnd, "|": bpf.ALUOpOr, "^": bpf.ALUOpXor, "<<": bpf.ALUOpShiftLeft, ">>": bpf.ALUOpShiftRight,
}

// gen returns instructions that leave the value of a in A, using scratch words from slot up.
func (p *parser) gen(a *arith, slot int) []bpf.Instruction {
	if slot >= maxScratch {
		p.fail(a.tok, "arithmetic expression is too deeply nested")
	}
	switch a.op {
	case "k":
		return []bpf.Instruction{bpf.LoadConstant{Dst: bpf.RegA, Val: a.k}}
	case "len":
		return []bpf.Instruction{bpf.LoadExtension{Num: bpf.ExtLen}}
	case "neg":
		return append(p.gen(a.l, slot), bpf.NegateA{})
	case "load":
		return p.genLoad(a, slot)
	}
	op := aluOps[a.op]
	if a.r.op == "k" {
		return append(p.gen(a.l, slot), bpf.ALUOpConstant{Op: op, Val: a.r.k})
	}
	out := p.gen(a.r, slot)
	out = append(out, bpf.StoreScratch{Src: bpf.RegA, N: slot})
	out = append(out, p.gen(a.l, slot+1)...)
	return append(out, bpf.LoadScratch{Dst: bpf.RegX, N: slot}, bpf.ALUOpX{Op: op})
}

// maxOffset bounds constant offsets, far below the kernel's special negative offsets (SKF_AD_OFF).
const maxOffset = 1 << 24

func (p *parser) genLoad(a *arith, slot int) []bpf.Instruction {
	var base uint32
	transport := false
	switch a.proto {
	case "ether":
	case "ip", "ip6", "arp", "rarp":
		base = p.off
	case "icmp6":
		base = p.off + 40
	default:
		base, transport = p.off, true
	}
	if a.l.op == "k" {
		if a.l.k >= maxOffset {
			p.fail(a.tok, "offset %d is too large", a.l.k)
		}
		if transport {
			return []bpf.Instruction{bpf.LoadMemShift{Off: p.off}, bpf.LoadIndirect{Off: base + a.l.k, Size: a.size}}
		}
		return []bpf.Instruction{bpf.LoadAbsolute{Off: base + a.l.k, Size: a.size}}
	}
	out := p.gen(a.l, slot)
	if transport {
		out = append(out, bpf.LoadMemShift{Off: p.off}, bpf.ALUOpX{Op: bpf.ALUOpAdd})
	}
	return append(out, bpf.TAX{}, bpf.LoadIndirect{Off: base, Size: a.size})
}
