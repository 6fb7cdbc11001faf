package dhcp

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/pcapframe/pcapframe/analyzer"
	"github.com/pcapframe/pcapframe/packet"
)

// Limits.
const (
	// TxWindow is how long after its first message a transaction takes more messages (Zeek's
	// DHCP::max_txid_watch_time), in nanoseconds of packet time.
	TxWindow = 30e9
	// MaxMessages caps the message types, frames and uids a transaction keeps.
	MaxMessages = 64
	// MaxPending caps the transactions waiting at once; past it the oldest is emitted. A transaction holds at
	// most MaxMessages types, frames and uids: at worst about 40 MB in all, for a flood of distinct xids.
	MaxPending = 16384
	maxList    = 64 // entries taken from one option
	maxRelay   = 8  // DHCPv6 relay messages opened one inside the other
	maxNotes   = 8
)

// tx is one transaction being collected.
type tx struct {
	key  string
	row  Row
	done bool // emitted (left in the queue until it reaches the front)
	// what decides between values of several messages
	serverLease bool
	notes       []string
}

func (t *tx) note(s string) {
	if len(t.notes) < maxNotes && !slices.Contains(t.notes, s) {
		t.notes = append(t.notes, s)
	}
}

// Analyzer builds the dhcp table: it implements analyzer.Analyzer and analyzer.Service.
type Analyzer struct {
	emit    func(*Row) error
	pending map[string]*tx
	queue   []*tx // by first message, so by the end of their windows
	head    int
	v4      layers.DHCPv4
	v6      layers.DHCPv6
	inner   layers.DHCPv6
	keyBuf  []byte
	service map[string]bool // uids of flows that carried a decodable message
}

var (
	_ analyzer.Analyzer = (*Analyzer)(nil)
	_ analyzer.Service  = (*Analyzer)(nil)
)

// New returns an analyzer that calls emit with one row per transaction. The row is reused after emit returns.
func New(emit func(*Row) error) *Analyzer {
	return &Analyzer{emit: emit, pending: map[string]*tx{}, service: map[string]bool{}}
}

// Stream returns nil: DHCP is carried by UDP.
func (a *Analyzer) Stream(*analyzer.Flow) analyzer.StreamHandler { return nil }

// WantStream implements analyzer.StreamFilter: DHCP runs over UDP only.
func (a *Analyzer) WantStream(*analyzer.Flow) bool { return false }

// Service names the protocol of a flow that carried a DHCP message: "dhcp" (Zeek's name, for DHCPv6 too).
func (a *Analyzer) Service(uid string) string {
	if a.service[uid] {
		return "dhcp"
	}
	return ""
}

// FlowEnd forgets the flow's service; transactions end by time, not with flows.
func (a *Analyzer) FlowEnd(f *analyzer.Flow) error {
	delete(a.service, f.UID)
	return nil
}

// Packet decodes a DHCP or DHCPv6 message of a UDP datagram on the DHCP ports.
func (a *Analyzer) Packet(p *analyzer.Packet) error {
	if p.Flow == nil || p.Flow.Proto != 17 || !p.Has(packet.HasUDP) {
		return nil
	}
	if err := a.expire(p.Time); err != nil {
		return err
	}
	sp, dp := p.SPort, p.DPort
	pl := p.Payload()
	switch {
	case sp == 67 || sp == 68 || dp == 67 || dp == 68:
		return a.message4(p, pl)
	case sp == 546 || sp == 547 || dp == 546 || dp == 547:
		return a.message6(p, pl)
	}
	return nil
}

// expire emits the transactions whose window ended before now.
func (a *Analyzer) expire(now int64) error {
	for a.head < len(a.queue) {
		t := a.queue[a.head]
		if !t.done && now-t.row.TS <= TxWindow {
			break
		}
		a.queue[a.head] = nil
		a.head++
		if !t.done {
			if err := a.finish(t); err != nil {
				return err
			}
		}
	}
	if a.head > 1024 && a.head*2 > len(a.queue) {
		a.queue = append(a.queue[:0], a.queue[a.head:]...)
		a.head = 0
	}
	return nil
}

func (a *Analyzer) finish(t *tx) error {
	t.done = true
	if a.pending[t.key] == t {
		delete(a.pending, t.key)
	}
	t.row.Note = strings.Join(t.notes, "; ")
	return a.emit(&t.row)
}

// lookup returns the transaction of key, starting one at time ts when there is none.
func (a *Analyzer) lookup(key []byte, ts int64, version int, id int64) (*tx, error) {
	if t := a.pending[string(key)]; t != nil {
		if len(t.row.MsgTypes) < MaxMessages {
			return t, nil
		}
		t.note(fmt.Sprintf("more than %d messages: the transaction goes on in the next row", MaxMessages))
		if err := a.finish(t); err != nil {
			return nil, err
		}
	}
	if len(a.pending) >= MaxPending {
		// the oldest transaction still waiting goes first
		for a.head < len(a.queue) {
			t := a.queue[a.head]
			a.queue[a.head] = nil
			a.head++
			if !t.done {
				if err := a.finish(t); err != nil {
					return nil, err
				}
				break
			}
		}
	}
	t := &tx{key: string(key), row: Row{TS: ts, LastTS: ts, Version: version, TransID: id}}
	a.pending[t.key] = t
	a.queue = append(a.queue, t)
	return t, nil
}

// add records one message of a transaction: its type, frame and flow.
func (t *tx) add(p *analyzer.Packet, typ string) {
	r := &t.row
	r.LastTS = max(r.LastTS, p.Time)
	if len(r.MsgTypes) >= MaxMessages {
		return // lookup started a new row before: not reached
	}
	r.MsgTypes = append(r.MsgTypes, typ)
	r.Frames = append(r.Frames, p.Frame)
	if !slices.Contains(r.UIDs, p.Flow.UID) {
		r.UIDs = append(r.UIDs, strings.Clone(p.Flow.UID))
	}
}

var msgNames4 = [...]string{1: "DISCOVER", 2: "OFFER", 3: "REQUEST", 4: "DECLINE", 5: "ACK", 6: "NAK", 7: "RELEASE", 8: "INFORM",
	9: "FORCERENEW", 10: "LEASEQUERY", 11: "LEASEUNASSIGNED", 12: "LEASEUNKNOWN", 13: "LEASEACTIVE", 14: "BULKLEASEQUERY",
	15: "LEASEQUERYDONE", 16: "ACTIVELEASEQUERY", 17: "LEASEQUERYSTATUS", 18: "TLS"}

var msgNames6 = [...]string{1: "SOLICIT", 2: "ADVERTISE", 3: "REQUEST", 4: "CONFIRM", 5: "RENEW", 6: "REBIND", 7: "REPLY",
	8: "RELEASE", 9: "DECLINE", 10: "RECONFIGURE", 11: "INFORMATION-REQUEST", 12: "RELAY-FORW", 13: "RELAY-REPL"}

func addr4(b []byte) netip.Addr {
	if len(b) != 4 {
		return netip.Addr{}
	}
	a := netip.AddrFrom4([4]byte(b))
	if a.IsUnspecified() {
		return netip.Addr{}
	}
	return a
}

func addrList4(b []byte) []string {
	var out []string
	for i := 0; i+4 <= len(b) && len(out) < maxList; i += 4 {
		out = append(out, netip.AddrFrom4([4]byte(b[i:i+4])).String())
	}
	return out
}

func macString(b []byte, htype layers.LinkType) string {
	if htype == layers.LinkTypeEthernet && len(b) == 6 {
		var s strings.Builder
		for i, c := range b {
			if i > 0 {
				s.WriteByte(':')
			}
			s.WriteString(hex.EncodeToString([]byte{c}))
		}
		return s.String()
	}
	return hex.EncodeToString(b)
}

// message4 decodes a DHCPv4/BOOTP message. The fixed header is read here, so that a message cut by the capture's
// snapshot length still counts (from its chaddr on); the options are decoded by gopacket.
func (a *Analyzer) message4(p *analyzer.Packet, pl []byte) error {
	if len(pl) < 28 || (pl[0] != 1 && pl[0] != 2) || pl[2] > 16 || len(pl) < 28+int(pl[2]) {
		return nil // not a BOOTP message, or cut before its client hardware address
	}
	client := pl[0] == 1
	hlen := int(pl[2])
	xid := binary.BigEndian.Uint32(pl[4:8])
	a.keyBuf = binary.BigEndian.AppendUint32(append(a.keyBuf[:0], '4'), xid)
	a.keyBuf = append(a.keyBuf, pl[28:28+hlen]...)
	t, terr := a.lookup(a.keyBuf, p.Time, 4, int64(xid))
	if terr != nil {
		return terr
	}
	a.service[p.Flow.UID] = true
	r := &t.row
	d := &a.v4
	d.Options = d.Options[:0]
	var err error
	noCookie := false
	if len(pl) < 240 {
		t.note(fmt.Sprintf("message cut at %d bytes (the fixed part is 240)", len(pl)))
	} else {
		err = d.DecodeFromBytes(pl, gopacket.NilDecodeFeedback)
		noCookie = errors.Is(err, layers.InvalidMagicCookie)
		if noCookie {
			t.note("no DHCP magic cookie: BOOTP")
		} else if err != nil {
			t.note("damaged options: " + err.Error())
		}
	}
	typ := "BOOTREPLY"
	if client {
		typ = "BOOTREQUEST"
	}
	if r.ClientMAC == "" {
		r.ClientMAC = macString(pl[28:28+hlen], layers.LinkType(pl[1]))
	}
	if a := addr4(pl[12:16]); a.IsValid() {
		r.ClientAddr = a
	}
	if a := addr4(pl[24:28]); a.IsValid() {
		r.Relay = a
	}
	var msgType byte
	var serverID netip.Addr
	for _, o := range d.Options {
		switch o.Type {
		case layers.DHCPOptMessageType:
			if len(o.Data) == 1 {
				msgType = o.Data[0]
				if int(msgType) < len(msgNames4) && msgNames4[msgType] != "" {
					typ = msgNames4[msgType]
				} else {
					typ = "TYPE-" + strconv.Itoa(int(msgType))
				}
			}
		case layers.DHCPOptHostname:
			r.Hostname = string(o.Data)
		case 81: // Client FQDN (RFC 4702): flags, two rcodes, the name
			if len(o.Data) > 3 {
				if o.Data[0]&0x04 != 0 {
					r.ClientFQDN = wireName(o.Data[3:])
				} else {
					r.ClientFQDN = string(o.Data[3:])
				}
			}
		case layers.DHCPOptRequestIP:
			if a := addr4(o.Data); a.IsValid() {
				r.RequestedAddr = a
			}
		case layers.DHCPOptLeaseTime:
			if len(o.Data) == 4 && (!client || !t.serverLease) {
				r.LeaseTime, r.HasLease = int64(binary.BigEndian.Uint32(o.Data)), true
				t.serverLease = t.serverLease || !client
			}
		case layers.DHCPOptServerID:
			serverID = addr4(o.Data)
		case layers.DHCPOptParamsRequest:
			if client {
				r.ParamRequestList = r.ParamRequestList[:0:0]
				for _, c := range o.Data[:min(len(o.Data), maxList)] {
					r.ParamRequestList = append(r.ParamRequestList, int64(c))
				}
			}
		case layers.DHCPOptClassID:
			if client {
				r.VendorClass = string(o.Data)
			}
		case layers.DHCPOptDomainName:
			if !client {
				r.Domain = string(o.Data)
			}
		case layers.DHCPOptRouter:
			if !client {
				r.Routers = addrList4(o.Data)
			}
		case layers.DHCPOptDNS:
			if !client {
				r.DNSServers = addrList4(o.Data)
			}
		case layers.DHCPOptMessage:
			if client {
				r.ClientMessage = string(o.Data)
			} else {
				r.ServerMessage = string(o.Data)
			}
		}
	}
	if !client {
		if serverID.IsValid() {
			r.ServerAddr = serverID
		} else if !r.ServerAddr.IsValid() && p.Has(packet.HasIP4) {
			r.ServerAddr = p.Src
		}
		if y := addr4(pl[16:20]); y.IsValid() && (msgType == 2 || msgType == 5 || msgType == 0) {
			r.AssignedAddr = y
		}
	} else if serverID.IsValid() && !r.ServerAddr.IsValid() {
		r.ServerAddr = serverID // a REQUEST names the server it accepts
	}
	t.add(p, typ)
	return nil
}

// wireName reads a name in DNS wire format (uncompressed labels, RFC 1035 §3.1) as dotted text; it stops at the
// root label or at the end of the data.
func wireName(b []byte) string {
	var s strings.Builder
	for i := 0; len(b) > 0 && i < 128; i++ {
		n := int(b[0])
		if n == 0 || n > 63 || 1+n > len(b) {
			break
		}
		if s.Len() > 0 {
			s.WriteByte('.')
		}
		s.Write(b[1 : 1+n])
		b = b[1+n:]
	}
	return s.String()
}

// wireNames reads a list of uncompressed DNS names (DHCPv6 domain search list) joined by commas.
func wireNames(b []byte) string {
	var out []string
	for len(b) > 0 && len(out) < maxList {
		start := len(b)
		var s strings.Builder
		for i := 0; len(b) > 0 && i < 128; i++ {
			n := int(b[0])
			if n == 0 {
				b = b[1:]
				break
			}
			if n > 63 || 1+n > len(b) {
				b = nil
				break
			}
			if s.Len() > 0 {
				s.WriteByte('.')
			}
			s.Write(b[1 : 1+n])
			b = b[1+n:]
		}
		if s.Len() > 0 {
			out = append(out, s.String())
		}
		if len(b) == start {
			break
		}
	}
	return strings.Join(out, ",")
}

// message6 decodes a DHCPv6 message, opening relay messages.
func (a *Analyzer) message6(p *analyzer.Packet, pl []byte) error {
	d := &a.v6
	err := d.DecodeFromBytes(pl, gopacket.NilDecodeFeedback)
	if err != nil && len(d.Options) == 0 && len(d.TransactionID) == 0 {
		return nil
	}
	var relay netip.Addr
	var relayErr error
	for depth := 0; d.MsgType == layers.DHCPv6MsgTypeRelayForward || d.MsgType == layers.DHCPv6MsgTypeRelayReply; depth++ {
		if la, ok := netip.AddrFromSlice(d.LinkAddr); ok && !la.IsUnspecified() {
			relay = la
		}
		var inner []byte
		for _, o := range d.Options {
			if o.Code == layers.DHCPv6OptRelayMessage {
				inner = o.Data
			}
		}
		if inner == nil || depth >= maxRelay {
			return nil // nothing relayed, or too deep: no transaction to tell
		}
		next := &a.inner
		if d == &a.inner {
			next = &a.v6 // alternate the two decoders: inner points into pl, not into the decoder
		}
		relayErr = next.DecodeFromBytes(inner, gopacket.NilDecodeFeedback)
		d = next
		if relayErr != nil && len(d.Options) == 0 && len(d.TransactionID) == 0 {
			return nil
		}
	}
	if relayErr != nil {
		err = relayErr
	}
	if len(d.TransactionID) != 3 {
		return nil
	}
	id := int64(d.TransactionID[0])<<16 | int64(d.TransactionID[1])<<8 | int64(d.TransactionID[2])
	a.keyBuf = append(append(a.keyBuf[:0], '6'), d.TransactionID...)
	t, terr := a.lookup(a.keyBuf, p.Time, 6, id)
	if terr != nil {
		return terr
	}
	a.service[p.Flow.UID] = true
	r := &t.row
	if err != nil {
		t.note("damaged options: " + err.Error())
	}
	mt := int(d.MsgType)
	typ := "TYPE-" + strconv.Itoa(mt)
	if mt < len(msgNames6) && msgNames6[mt] != "" {
		typ = msgNames6[mt]
	}
	server := mt == 2 || mt == 7 || mt == 10
	if relay.IsValid() {
		r.Relay = relay
	}
	for _, o := range d.Options {
		switch o.Code {
		case layers.DHCPv6OptClientID:
			r.ClientDUID = hex.EncodeToString(o.Data)
		case layers.DHCPv6OptServerID:
			r.ServerDUID = hex.EncodeToString(o.Data)
		case layers.DHCPv6OptIANA:
			if server {
				a.iana(t, o.Data)
			}
		case layers.DHCPv6OptOro:
			if !server {
				r.ParamRequestList = r.ParamRequestList[:0:0]
				for i := 0; i+2 <= len(o.Data) && len(r.ParamRequestList) < maxList; i += 2 {
					r.ParamRequestList = append(r.ParamRequestList, int64(binary.BigEndian.Uint16(o.Data[i:])))
				}
			}
		case layers.DHCPv6OptVendorClass:
			if !server && len(o.Data) >= 4 {
				var parts []string
				b := o.Data[4:]
				for len(b) >= 2 && len(parts) < maxList {
					n := int(binary.BigEndian.Uint16(b))
					if 2+n > len(b) {
						t.note("vendor class data past its option")
						break
					}
					parts = append(parts, string(b[2:2+n]))
					b = b[2+n:]
				}
				r.VendorClass = strings.Join(parts, ",")
			}
		case 23: // DNS recursive name servers (RFC 3646)
			if server {
				r.DNSServers = nil
				for i := 0; i+16 <= len(o.Data) && len(r.DNSServers) < maxList; i += 16 {
					r.DNSServers = append(r.DNSServers, netip.AddrFrom16([16]byte(o.Data[i:i+16])).String())
				}
			}
		case 24: // domain search list (RFC 3646)
			if server {
				r.Domain = wireNames(o.Data)
			}
		case 39: // client FQDN (RFC 4704): flags, then the name in wire format
			if len(o.Data) > 1 {
				r.ClientFQDN = wireName(o.Data[1:])
			}
		}
	}
	if server && !r.ServerAddr.IsValid() && p.Has(packet.HasIP6) && !relay.IsValid() {
		r.ServerAddr = p.Src
	}
	t.add(p, typ)
	return nil
}

// iana reads the addresses of an IA_NA option (IAID, T1, T2, then options; IAADDR is option 5: address,
// preferred and valid lifetimes, options).
func (a *Analyzer) iana(t *tx, b []byte) {
	if len(b) < 12 {
		t.note("IA_NA shorter than 12 bytes")
		return
	}
	b = b[12:]
	for i := 0; len(b) >= 4 && i < maxList; i++ {
		code, n := binary.BigEndian.Uint16(b), int(binary.BigEndian.Uint16(b[2:]))
		if 4+n > len(b) {
			t.note("IA_NA option past its end")
			return
		}
		if code == 5 && n >= 24 {
			if ad := netip.AddrFrom16([16]byte(b[4:20])); !ad.IsUnspecified() {
				t.row.AssignedAddr = ad
				t.row.LeaseTime, t.row.HasLease = int64(binary.BigEndian.Uint32(b[24:28])), true
			}
		}
		b = b[4+n:]
	}
}

// Close emits the transactions still waiting, oldest first.
func (a *Analyzer) Close() error {
	for ; a.head < len(a.queue); a.head++ {
		t := a.queue[a.head]
		a.queue[a.head] = nil
		if !t.done {
			if err := a.finish(t); err != nil {
				return err
			}
		}
	}
	a.queue, a.head = nil, 0
	return nil
}
