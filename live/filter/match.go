package filter

import (
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"

	"golang.org/x/net/bpf"
)

// Matcher runs a filter on frames read from capture files, as tcpdump -r FILE EXPR does: the program Compile makes
// for the frame's link type runs in golang.org/x/net/bpf's interpreter, which, like the kernel, rejects a frame
// when the program reads past its end. Programs are compiled once per link type, on first use. A Matcher is safe
// for concurrent use.
//
// Frames of link types Compile does not support are rejected and counted (Unsupported): a file of Ethernet
// frames and, say, Linux cooked frames gives the Ethernet frames that match. The BPF "len" (greater, less, len)
// is the captured length, not the length on the wire, since the interpreter sees only the captured bytes; for
// frames cut by the snap length tcpdump uses the wire length.
type Matcher struct {
	expr        string
	mu          sync.Mutex
	vms         atomic.Pointer[map[uint32]*bpf.VM] // link type → program; nil: unsupported
	unsupported sync.Map                           // link type → *atomic.Int64 frames rejected
}

// NewMatcher compiles expr (for Ethernet, to report a mistake in it at once) and returns its Matcher. The error
// is an *Error for a mistake in the expression.
func NewMatcher(expr string) (*Matcher, error) {
	if _, err := Compile(expr, LinkEthernet, 1<<18); err != nil {
		return nil, err
	}
	m := &Matcher{expr: expr}
	vms := map[uint32]*bpf.VM{}
	m.vms.Store(&vms)
	return m, nil
}

// Expr returns the filter expression.
func (m *Matcher) Expr() string { return m.expr }

// compileLink maps a LINKTYPE_* of a capture file to the link type Compile takes: Ethernet, Linux cooked v1 and
// v2, BSD loopback (NULL and LOOP), or raw IP for the link types whose frames start with the IP header
// (LINKTYPE_RAW 101, the DLT_RAW values 12 and 14 that old files hold, LINKTYPE_IPV4 228 and LINKTYPE_IPV6
// 229). ok is false for the others.
func compileLink(linkType uint32) (int, bool) {
	switch linkType {
	case LinkEthernet:
		return LinkEthernet, true
	case LinkRaw, 12, 14, 228, 229:
		return LinkRaw, true
	case LinkNull, LinkLoop, LinkSLL, LinkSLL2:
		return int(linkType), true
	}
	return 0, false
}

// vm returns the program for a link type, compiling it on first use (nil: unsupported).
func (m *Matcher) vm(linkType uint32) *bpf.VM {
	if vm, ok := (*m.vms.Load())[linkType]; ok {
		return vm
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	old := *m.vms.Load()
	if vm, ok := old[linkType]; ok {
		return vm
	}
	var vm *bpf.VM
	if link, ok := compileLink(linkType); ok {
		if prog, err := Compile(m.expr, link, 1<<18); err == nil {
			vm, _ = bpf.NewVM(prog) // nil if the interpreter refuses the program; then the frames are unsupported
		}
	}
	// Copy on write: readers never lock. A capture has few link types.
	vms := make(map[uint32]*bpf.VM, len(old)+1)
	for k, v := range old {
		vms[k] = v
	}
	vms[linkType] = vm
	m.vms.Store(&vms)
	return vm
}

// Match reports whether the filter accepts frame, a frame of the given LINKTYPE_*.
func (m *Matcher) Match(linkType uint32, frame []byte) bool {
	vm := m.vm(linkType)
	if vm == nil {
		c, _ := m.unsupported.LoadOrStore(linkType, new(atomic.Int64))
		c.(*atomic.Int64).Add(1)
		return false
	}
	n, err := vm.Run(frame)
	return err == nil && n > 0
}

// Unsupported returns the frames rejected so far because the filter cannot run on their link type, by link type.
func (m *Matcher) Unsupported() map[uint32]int64 {
	out := map[uint32]int64{}
	m.unsupported.Range(func(k, v any) bool {
		out[k.(uint32)] = v.(*atomic.Int64).Load()
		return true
	})
	return out
}

// UnsupportedError describes Unsupported for a message, or returns "" if no frame was rejected so.
func (m *Matcher) UnsupportedError() string {
	u := m.Unsupported()
	if len(u) == 0 {
		return ""
	}
	var total int64
	s := ""
	for _, lt := range slices.Sorted(maps.Keys(u)) {
		n := u[lt]
		total += n
		if s != "" {
			s += ", "
		}
		s += fmt.Sprintf("%d of link type %d", n, lt)
	}
	return fmt.Sprintf("the capture filter left out %d frames of link types it cannot run on (%s): it supports Ethernet, raw IP, Linux cooked and BSD loopback frames", total, s)
}
