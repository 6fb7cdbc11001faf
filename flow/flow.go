package flow

import (
	"net/netip"
	"strconv"
)

// ConnState is Zeek's conn_state: how far a connection got.
type ConnState uint8

// The connection states, with Zeek's codes and meanings.
const (
	StateOTH    ConnState = iota // no SYN seen, just midstream traffic; and every non-TCP/UDP flow
	StateS0                      // connection attempt seen, no reply
	StateS1                      // connection established, not terminated
	StateSF                      // normal establishment and termination (UDP: both sides sent)
	StateREJ                     // connection attempt rejected
	StateS2                      // established, close attempt by originator seen (but no reply from responder)
	StateS3                      // established, close attempt by responder seen (but no reply from originator)
	StateRSTO                    // established, originator aborted (sent a RST)
	StateRSTR                    // responder sent a RST
	StateRSTOS0                  // originator sent a SYN followed by a RST, no SYN-ACK from the responder
	StateRSTRH                   // responder sent a SYN-ACK followed by a RST, no SYN from the originator
	StateSH                      // originator sent a SYN followed by a FIN, no SYN-ACK from the responder
	StateSHR                     // responder sent a SYN-ACK followed by a FIN, no SYN from the originator (UDP: only the responder sent)
)

var stateNames = [...]string{"OTH", "S0", "S1", "SF", "REJ", "S2", "S3", "RSTO", "RSTR", "RSTOS0", "RSTRH", "SH", "SHR"}

func (s ConnState) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "OTH"
}

// EndReason says why the tracker emitted a flow.
type EndReason uint8

// The reasons a flow ends.
const (
	EndClosed  EndReason = iota // TCP: both sides sent FIN, or a RST, and the linger time passed
	EndIdle                     // no packet for the protocol's inactivity timeout
	EndEvicted                  // the tracker reached Options.MaxFlows and this was the least recently active flow
	EndReused                   // a new SYN (with a new initial sequence number) started a new connection on the same ports
	EndFlush                    // still open when the input ended (Tracker.Close)
)

var reasonNames = [...]string{"closed", "idle", "evicted", "reused", "end"}

func (r EndReason) String() string {
	if int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return "unknown"
}

const (
	uidLen     = 18 // "C" and 17 base62 digits of a 96-bit hash at most
	maxHistory = 40
)

// Flow is one row of the flows table: one bidirectional conversation, with the columns of Zeek's conn.log (the
// "id." prefix dropped) and Wireshark's view of the same conversation (stream index, frame bytes).
//
// Fields are values; a Flow refers to no packet memory. A *Flow passed to the tracker's emit function is reused
// after emit returns: copy the value to keep it.
type Flow struct {
	TS, EndTS    int64 // first and last packet times, nanoseconds since the Unix epoch
	OrigH, RespH netip.Addr
	OrigP, RespP uint16 // ports; ICMP: type and counterpart type or code; 0 for other protocols
	Proto        uint8  // IP protocol number
	Service      string // detected application protocol, "" when unknown

	OrigBytes, RespBytes         int64 // payload bytes (TCP: sequence space covered, as Zeek counts it)
	MissedBytes                  int64 // TCP bytes in sequence-space gaps (never captured)
	OrigPkts, RespPkts           int64
	OrigIPBytes, RespIPBytes     int64 // IP-level bytes: sum of the IP total length fields
	OrigWireBytes, RespWireBytes int64 // frame lengths on the wire, as Wireshark's Conversations window counts bytes
	Stream                       int64 // Wireshark's tcp.stream or udp.stream index; -1 for other protocols
	State                        ConnState
	Reason                       EndReason // why the flow was emitted (not a column)
	FirstFrame, LastFrame        int64     // frame numbers of the first and last packets (not columns)

	uid      [uidLen]byte
	uidN     uint8
	history  [maxHistory]byte
	historyN uint8
	cid      [CommunityIDLen]byte
	parents  [maxParents]string // see TunnelParents
	parentsN uint8
}

// TunnelParents returns the uids of the flows whose tunnels carried this one, outermost first, as Zeek's
// tunnel_parents (at most 8); none for traffic that was not tunnelled. Only Tracker.AddFrame records them. The
// slice refers to f: do not modify it.
func (f *Flow) TunnelParents() []string { return f.parents[:f.parentsN] }

// UID returns the flow's unique identifier: "C" and base62 digits, as Zeek writes uids. It is derived from the
// flow's first packet (time, frame number and addresses), so the same capture always gives the same uids.
func (f *Flow) UID() string { return string(f.uid[:f.uidN]) }

// History returns Zeek's history string (see the package documentation).
func (f *Flow) History() string { return string(f.history[:f.historyN]) }

// CommunityID returns the Community ID v1 (seed 0) of the flow.
func (f *Flow) CommunityID() string { return string(f.cid[:]) }

// Duration returns EndTS - TS in seconds.
func (f *Flow) Duration() float64 { return float64(f.EndTS-f.TS) / 1e9 }

// ProtoName returns the transport protocol as Zeek names it: tcp, udp, icmp (for ICMPv6 too); other IP
// protocols by their IANA keyword in lower case, or their number.
func (f *Flow) ProtoName() string { return ProtoName(f.Proto) }

// ProtoName names an IP protocol number; see Flow.ProtoName.
func ProtoName(p uint8) string {
	switch p {
	case protoTCP:
		return "tcp"
	case protoUDP:
		return "udp"
	case protoICMP, protoICMPv6:
		return "icmp"
	case 2:
		return "igmp"
	case 4:
		return "ipip"
	case 41:
		return "ipv6"
	case 47:
		return "gre"
	case 50:
		return "esp"
	case 51:
		return "ah"
	case 89:
		return "ospf"
	case 103:
		return "pim"
	case 112:
		return "vrrp"
	case protoSCTP:
		return "sctp"
	}
	return protoNumbers[p]
}

var protoNumbers = func() (t [256]string) {
	for i := range t {
		t[i] = strconv.Itoa(i)
	}
	return t
}()

func (f *Flow) addHistory(c byte) {
	if int(f.historyN) < len(f.history) {
		f.history[f.historyN] = c
		f.historyN++
	}
}
