package live

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/pcapframe/pcapframe/live/filter"
)

// Handle captures frames from one interface through a TPACKET_V3 ring shared with the kernel.
type Handle struct {
	ifc     Interface
	fd      int
	wake    int // eventfd that interrupts a blocked ReadBatch
	ring    []byte
	bsize   int
	nblocks int
	next    int // next block to read
	snaplen int
	loop    bool

	received, dropped uint64 // kernel counters, accumulated (PACKET_STATISTICS resets on read)
	closed            atomic.Bool
}

// Open starts capturing on the named interface. The filter (tcpdump syntax) is compiled and attached to the
// socket before it is bound to the interface, so no packet that fails it is ever captured. Errors wrap
// ErrNoInterface, ErrPermission or *filter.Error where those apply.
func Open(name string, opts Options) (*Handle, error) {
	opts = opts.withDefaults()
	ifc, err := InterfaceByName(name)
	if err != nil {
		return nil, err
	}
	if ifc.LinkType == 0 {
		return nil, fmt.Errorf("interface %q: capture on hardware type %d is not supported (Ethernet, loopback and raw-IP interfaces are)", name, ifc.HWType)
	}
	prog, err := filter.Compile(opts.Filter, ifc.LinkType, uint32(opts.Snaplen))
	if err != nil {
		return nil, err
	}
	loop := ifc.HWType == 772
	if loop {
		// Every packet sent on loopback is seen twice, outgoing and incoming: keep the incoming copy, as
		// libpcap does.
		prog = append([]bpf.Instruction{
			bpf.LoadExtension{Num: bpf.ExtType},
			bpf.JumpIf{Cond: bpf.JumpEqual, Val: unix.PACKET_OUTGOING, SkipFalse: 1},
			bpf.RetConstant{Val: 0},
		}, prog...)
	}
	h := &Handle{ifc: ifc, fd: -1, wake: -1, snaplen: opts.Snaplen, loop: loop}
	if err := h.open(prog, opts); err != nil {
		h.Close()
		return nil, fmt.Errorf("capture on %q: %w", name, err)
	}
	return h, nil
}

func (h *Handle) open(prog []bpf.Instruction, opts Options) error {
	// Protocol 0: the socket receives nothing until bind names the protocol, after the filter is attached.
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
			return ErrPermission
		}
		return fmt.Errorf("open packet socket: %w", err)
	}
	h.fd = fd
	if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_VERSION, unix.TPACKET_V3); err != nil {
		return fmt.Errorf("select TPACKET_V3: %w", err)
	}
	raw, err := bpf.Assemble(prog)
	if err != nil {
		return fmt.Errorf("assemble filter: %w", err)
	}
	ins := make([]unix.SockFilter, len(raw))
	for i, r := range raw {
		ins[i] = unix.SockFilter{Code: r.Op, Jt: r.Jt, Jf: r.Jf, K: r.K}
	}
	if err := unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER,
		&unix.SockFprog{Len: uint16(len(ins)), Filter: &ins[0]}); err != nil {
		return fmt.Errorf("attach filter: %w", err)
	}
	h.bsize = opts.BlockSize
	h.nblocks = max(2, opts.BufferSize/h.bsize)
	req := unix.TpacketReq3{
		Block_size:     uint32(h.bsize),
		Block_nr:       uint32(h.nblocks),
		Frame_size:     frameSize,
		Frame_nr:       uint32(h.bsize / frameSize * h.nblocks),
		Retire_blk_tov: uint32(max(1, opts.BlockTimeout.Milliseconds())),
	}
	if err := unix.SetsockoptTpacketReq3(fd, unix.SOL_PACKET, unix.PACKET_RX_RING, &req); err != nil {
		return fmt.Errorf("set up receive ring (%d blocks of %d bytes): %w", h.nblocks, h.bsize, err)
	}
	h.ring, err = unix.Mmap(fd, 0, h.bsize*h.nblocks, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		return fmt.Errorf("map receive ring: %w", err)
	}
	if opts.Promiscuous {
		mreq := unix.PacketMreq{Ifindex: int32(h.ifc.Index), Type: unix.PACKET_MR_PROMISC}
		if err := unix.SetsockoptPacketMreq(fd, unix.SOL_PACKET, unix.PACKET_ADD_MEMBERSHIP, &mreq); err != nil {
			return fmt.Errorf("enable promiscuous mode: %w", err)
		}
	}
	if h.wake, err = unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK); err != nil {
		return fmt.Errorf("eventfd: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: h.ifc.Index}); err != nil {
		if errors.Is(err, unix.ENODEV) || errors.Is(err, unix.ENXIO) {
			return ErrNoInterface
		}
		return fmt.Errorf("bind: %w", err)
	}
	return nil
}

const frameSize = 1 << 11

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// Interface returns the interface being captured.
func (h *Handle) Interface() Interface { return h.ifc }

// LinkType returns the LINKTYPE_* of the captured frames.
func (h *Handle) LinkType() int { return h.ifc.LinkType }

// Snaplen returns the number of bytes kept of each packet.
func (h *Handle) Snaplen() int { return h.snaplen }

// ErrInterrupted is returned by ReadBatch after Interrupt.
var ErrInterrupted = errors.New("capture interrupted")

// Interrupt makes a blocked or later ReadBatch return ErrInterrupted. It is safe to call from any goroutine,
// once or more, before Close.
func (h *Handle) Interrupt() {
	if h.closed.Load() || h.wake < 0 {
		return
	}
	var one [8]byte
	one[0] = 1
	unix.Write(h.wake, one[:])
}

// ReadBatch appends to b the frames of the ring blocks the kernel has filled, waiting up to timeout for the
// first one. It returns the number of frames added (0 when the timeout passed) or ErrInterrupted.
//
// The kernel hands a block over when it is full or BlockTimeout after its first packet, so a frame reaches
// ReadBatch at most BlockTimeout after it was received.
func (h *Handle) ReadBatch(b *Batch, timeout time.Duration) (int, error) {
	n0 := len(b.Frames)
	// Read whole blocks while one more surely fits in the batch's buffer.
	for len(b.Frames) < BatchFrames && len(b.arena)+h.bsize <= cap(b.arena) {
		if !h.ready(h.next) {
			if len(b.Frames) > n0 {
				break
			}
			ok, err := h.wait(timeout)
			if err != nil || !ok {
				return 0, err
			}
			continue
		}
		h.readBlock(h.next, b)
		h.next = (h.next + 1) % h.nblocks
	}
	return len(b.Frames) - n0, nil
}

func (h *Handle) status(i int) *uint32 {
	// struct tpacket_block_desc { version, offset_to_priv; struct tpacket_hdr_v1 { block_status, ... } }
	return (*uint32)(unsafe.Pointer(&h.ring[i*h.bsize+8]))
}

func (h *Handle) ready(i int) bool { return atomic.LoadUint32(h.status(i))&unix.TP_STATUS_USER != 0 }

// wait blocks until the next block is ready, the timeout passes (false) or Interrupt is called.
func (h *Handle) wait(timeout time.Duration) (bool, error) {
	fds := []unix.PollFd{{Fd: int32(h.fd), Events: unix.POLLIN | unix.POLLERR}, {Fd: int32(h.wake), Events: unix.POLLIN}}
	ms := int(timeout.Milliseconds())
	if timeout < 0 {
		ms = -1
	}
	for {
		_, err := unix.Poll(fds, ms)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return false, fmt.Errorf("poll: %w", err)
		}
		break
	}
	if fds[1].Revents != 0 {
		var buf [8]byte
		unix.Read(h.wake, buf[:])
		return false, ErrInterrupted
	}
	if fds[0].Revents&(unix.POLLERR|unix.POLLNVAL|unix.POLLHUP) != 0 && !h.ready(h.next) {
		if fds[0].Revents&unix.POLLNVAL != 0 {
			return false, fmt.Errorf("capture socket closed")
		}
		// POLLERR without data: a pending socket error, or the interface went away.
		errno, err := unix.GetsockoptInt(h.fd, unix.SOL_SOCKET, unix.SO_ERROR)
		if err != nil {
			return false, fmt.Errorf("capture socket: %w", err)
		}
		if errno != 0 {
			return false, fmt.Errorf("capture socket: %w", unix.Errno(errno))
		}
		if _, err := InterfaceByName(h.ifc.Name); err != nil {
			return false, fmt.Errorf("interface %q went away", h.ifc.Name)
		}
	}
	return h.ready(h.next), nil
}

// Offsets in a TPACKET_V3 frame.
const (
	sllOffset  = 48 // TPACKET_ALIGN(sizeof(struct tpacket3_hdr)): struct sockaddr_ll follows the header
	sllPktType = 10 // offset of sll_pkttype in struct sockaddr_ll
)

// readBlock copies the frames of block i into b and gives the block back to the kernel.
func (h *Handle) readBlock(i int, b *Batch) {
	blk := h.ring[i*h.bsize : (i+1)*h.bsize]
	hdr := (*unix.TpacketHdrV1)(unsafe.Pointer(&blk[8]))
	off := int(hdr.Offset_to_first_pkt)
	for k := uint32(0); k < hdr.Num_pkts; k++ {
		// The kernel aligns frames to 8 bytes (V3_ALIGNMENT); anything else means the block is not what we expect.
		if off <= 0 || off%8 != 0 || off+sllOffset+20 > len(blk) {
			break
		}
		ph := (*unix.Tpacket3Hdr)(unsafe.Pointer(&blk[off]))
		start, end := off+int(ph.Mac), off+int(ph.Mac)+int(ph.Snaplen)
		if end > len(blk) || start < off {
			break
		}
		outgoing := blk[off+sllOffset+sllPktType] == unix.PACKET_OUTGOING
		if !(h.loop && outgoing) {
			t := int64(ph.Sec)*1e9 + int64(ph.Nsec)
			data := blk[start:end]
			if ph.Status&unix.TP_STATUS_VLAN_VALID != 0 && h.ifc.LinkType == 1 && len(data) >= 12 {
				// The kernel removed the 802.1Q tag: put it back, as libpcap does.
				tpid := uint16(0x8100)
				if ph.Status&unix.TP_STATUS_VLAN_TPID_VALID != 0 {
					tpid = ph.Hv1.Vlan_tpid
				}
				tci := uint16(ph.Hv1.Vlan_tci)
				tag := [4]byte{byte(tpid >> 8), byte(tpid), byte(tci >> 8), byte(tci)}
				b.add(t, int(ph.Len)+4, data[:12], tag[:], data[12:])
			} else {
				b.add(t, int(ph.Len), data)
			}
		}
		if ph.Next_offset == 0 {
			break
		}
		off += int(ph.Next_offset)
	}
	atomic.StoreUint32(h.status(i), unix.TP_STATUS_KERNEL)
}

// Stats are the kernel's counters for a capture.
type Stats struct {
	Received uint64 // packets that passed the filter, including dropped ones
	Dropped  uint64 // packets the kernel dropped because the ring was full
}

// Stats returns the kernel's counters since Open.
func (h *Handle) Stats() (Stats, error) {
	st, err := unix.GetsockoptTpacketStatsV3(h.fd, unix.SOL_PACKET, unix.PACKET_STATISTICS)
	if err != nil {
		return Stats{}, fmt.Errorf("read capture statistics: %w", err)
	}
	// The kernel counts every packet offered to the ring in tp_packets, dropped ones included.
	h.received += uint64(st.Packets)
	h.dropped += uint64(st.Drops)
	return Stats{Received: h.received, Dropped: h.dropped}, nil
}

// Close stops the capture and releases the ring.
func (h *Handle) Close() error {
	if h.closed.Swap(true) {
		return nil
	}
	if h.ring != nil {
		unix.Munmap(h.ring)
		h.ring = nil
	}
	if h.wake >= 0 {
		unix.Close(h.wake)
	}
	if h.fd >= 0 {
		return unix.Close(h.fd)
	}
	return nil
}
