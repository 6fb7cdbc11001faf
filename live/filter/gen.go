package filter

import (
	"fmt"

	"golang.org/x/net/bpf"
)

// node is a boolean condition on a packet.
type node interface{ isNode() }

type (
	andNode  struct{ l, r node }
	orNode   struct{ l, r node }
	notNode  struct{ x node }
	constNod bool
	// testNode runs pre (which leaves a value in A, and may set X) and compares A with k, or with X when x is
	// set. cond is one of JumpEqual, JumpGreaterThan, JumpGreaterOrEqual and JumpBitsSet; the others are
	// expressed with notNode.
	testNode struct {
		pre  []bpf.Instruction
		cond bpf.JumpTest
		k    uint32
		x    bool
	}
)

func (andNode) isNode()  {}
func (orNode) isNode()   {}
func (notNode) isNode()  {}
func (constNod) isNode() {}
func (testNode) isNode() {}

var (
	yes node = constNod(true)
	no  node = constNod(false)
)

// and returns the conjunction of ns, folding constants.
func and(ns ...node) node {
	var out node = yes
	for _, n := range ns {
		switch {
		case n == no || out == no:
			out = no
		case n == yes:
		case out == yes:
			out = n
		default:
			out = andNode{out, n}
		}
	}
	return out
}

// or returns the disjunction of ns, folding constants.
func or(ns ...node) node {
	var out node = no
	for _, n := range ns {
		switch {
		case n == yes || out == yes:
			out = yes
		case n == no:
		case out == no:
			out = n
		default:
			out = orNode{out, n}
		}
	}
	return out
}

func not(n node) node {
	switch n {
	case yes:
		return no
	case no:
		return yes
	}
	if nn, ok := n.(notNode); ok {
		return nn.x
	}
	return notNode{n}
}

// test builds a comparison of the value left in A by pre with k.
func test(cond bpf.JumpTest, k uint32, pre ...bpf.Instruction) node {
	return testNode{pre: pre, cond: cond, k: k}
}

func eq(k uint32, pre ...bpf.Instruction) node { return test(bpf.JumpEqual, k, pre...) }

// MaxInstructions is the longest program the Linux kernel accepts (BPF_MAXINSNS).
const MaxInstructions = 4096

type label int

type itemKind uint8

const (
	plain itemKind = iota
	cond
	jump
)

type item struct {
	kind   itemKind
	ins    bpf.Instruction // plain
	cond   bpf.JumpTest    // cond
	k      uint32          // cond
	x      bool            // cond: compare with X
	jt, jf label           // cond: targets; jump: jt
}

// assembler lays out a condition as straight-line code with forward jumps to labels.
type assembler struct {
	items []item
	pos   []int // label -> index of the item it precedes; -1 until placed
}

func (a *assembler) newLabel() label {
	a.pos = append(a.pos, -1)
	return label(len(a.pos) - 1)
}

func (a *assembler) place(l label) { a.pos[l] = len(a.items) }

func (a *assembler) emit(it item) error {
	a.items = append(a.items, it)
	if len(a.items) > 4*MaxInstructions {
		return errTooLong
	}
	return nil
}

var errTooLong = fmt.Errorf("filter compiles to more than %d instructions", MaxInstructions)

// gen emits code that jumps to t when n holds and to f otherwise.
func (a *assembler) gen(n node, t, f label) error {
	switch n := n.(type) {
	case constNod:
		if n {
			return a.emit(item{kind: jump, jt: t})
		}
		return a.emit(item{kind: jump, jt: f})
	case notNode:
		return a.gen(n.x, f, t)
	case andNode:
		m := a.newLabel()
		if err := a.gen(n.l, m, f); err != nil {
			return err
		}
		a.place(m)
		return a.gen(n.r, t, f)
	case orNode:
		m := a.newLabel()
		if err := a.gen(n.l, t, m); err != nil {
			return err
		}
		a.place(m)
		return a.gen(n.r, t, f)
	case testNode:
		for _, ins := range n.pre {
			if err := a.emit(item{kind: plain, ins: ins}); err != nil {
				return err
			}
		}
		return a.emit(item{kind: cond, cond: n.cond, k: n.k, x: n.x, jt: t, jf: f})
	}
	panic(fmt.Sprintf("filter: unknown node %T", n))
}

// assemble turns a condition into a program that returns accept for matching packets and 0 for the others.
func assemble(n node, accept uint32) ([]bpf.Instruction, error) {
	a := &assembler{}
	t, f := a.newLabel(), a.newLabel()
	if err := a.gen(n, t, f); err != nil {
		return nil, err
	}
	a.place(t)
	a.items = append(a.items, item{kind: plain, ins: bpf.RetConstant{Val: accept}})
	a.place(f)
	a.items = append(a.items, item{kind: plain, ins: bpf.RetConstant{Val: 0}})
	a.dropUselessJumps()
	a.trampolines()
	if len(a.items) > MaxInstructions {
		return nil, errTooLong
	}
	out := make([]bpf.Instruction, len(a.items))
	for i, it := range a.items {
		switch it.kind {
		case plain:
			out[i] = it.ins
		case jump:
			out[i] = bpf.Jump{Skip: uint32(a.pos[it.jt] - i - 1)}
		case cond:
			st, sf := uint8(a.pos[it.jt]-i-1), uint8(a.pos[it.jf]-i-1)
			if it.x {
				out[i] = bpf.JumpIfX{Cond: it.cond, SkipTrue: st, SkipFalse: sf}
			} else {
				out[i] = bpf.JumpIf{Cond: it.cond, Val: it.k, SkipTrue: st, SkipFalse: sf}
			}
		}
	}
	return out, nil
}

// remove deletes item i, moving the labels that pointed after it.
func (a *assembler) remove(i int) {
	a.items = append(a.items[:i], a.items[i+1:]...)
	for l, p := range a.pos {
		if p > i {
			a.pos[l] = p - 1
		}
	}
}

// dropUselessJumps removes unconditional jumps to the next instruction.
func (a *assembler) dropUselessJumps() {
	for i := 0; i < len(a.items); {
		if it := a.items[i]; it.kind == jump && a.pos[it.jt] == i+1 {
			a.remove(i)
			continue
		}
		i++
	}
}

// trampolines makes every conditional jump reach its targets: a classic BPF conditional jump skips at most
// 255 instructions, so a farther target is reached through an unconditional jump placed right after it.
func (a *assembler) trampolines() {
	for changed := true; changed && len(a.items) <= MaxInstructions; {
		changed = false
		for i := 0; i < len(a.items); i++ {
			if a.items[i].kind != cond {
				continue
			}
			for which := 0; which < 2; which++ {
				tgt := a.items[i].jt
				if which == 1 {
					tgt = a.items[i].jf
				}
				if a.pos[tgt]-i-1 <= 255 {
					continue
				}
				// Insert "ja tgt" at i+1 and send this branch there.
				a.items = append(a.items, item{})
				copy(a.items[i+2:], a.items[i+1:])
				a.items[i+1] = item{kind: jump, jt: tgt}
				for l, p := range a.pos {
					if p > i {
						a.pos[l] = p + 1
					}
				}
				l := a.newLabel()
				a.pos[l] = i + 1
				if which == 0 {
					a.items[i].jt = l
				} else {
					a.items[i].jf = l
				}
				changed = true
			}
		}
	}
}
