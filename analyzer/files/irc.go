package files

import (
	"bytes"
	"net/netip"
	"strconv"
	"strings"
)

// ircConn reads an IRC connection (RFC 2812) for DCC SEND offers (the CTCP/DCC convention: a PRIVMSG whose text
// is "\x01DCC SEND <file> <ip> <port> [<size>]\x01"), in either direction; each offer announces the data
// connection the receiver opens to the sender's address and port.
type ircConn struct {
	c      *conn
	client lineReader
	server lineReader
	irc    bool
}

func newIRC(c *conn) *ircConn { return &ircConn{c: c} }

// data reads a run of bytes; false when the connection is not IRC.
func (r *ircConn) data(fromOrig bool, b []byte, frame, time int64) bool {
	lr := &r.server
	if fromOrig {
		lr = &r.client
	}
	return lr.feed(b, func(line []byte, _ bool) bool {
		if !r.irc {
			if !fromOrig {
				return true // the server may speak first (a NOTICE); the client's first line decides
			}
			verb, _, _ := strings.Cut(strings.ToUpper(string(line[:min(len(line), 8)])), " ")
			if verb != "NICK" && verb != "USER" && verb != "PASS" && verb != "CAP" {
				return false
			}
			r.irc = true
			return true
		}
		if i := bytes.Index(line, []byte("\x01DCC SEND ")); i >= 0 {
			if name, ap, size, ok := ParseDCCSend(string(line[i+1:])); ok {
				r.c.a.expect.add(&expectation{key: ap, at: time, source: "IRC_DATA", dcc: &dccOffer{name: name, size: size}})
			}
		}
		return true
	})
}

func (r *ircConn) gap(fromOrig bool) {
	if fromOrig {
		r.client.reset()
	} else {
		r.server.reset()
	}
}

// ParseDCCSend reads "DCC SEND <file> <ip> <port> [<size>]" (what follows the first \x01 of a CTCP message;
// the closing \x01 and line end are ignored): the file name (in double quotes when it holds spaces), the
// sender's address (an IPv4 address as a decimal number, or an IPv6 address in text), its port and the size
// (-1 when not given). A port of 0 (a reverse DCC, where the receiver listens) is refused.
func ParseDCCSend(s string) (name string, ap netip.AddrPort, size int64, ok bool) {
	s = strings.TrimRight(s, "\r\n")
	s = strings.TrimSuffix(s, "\x01")
	rest, found := strings.CutPrefix(s, "DCC SEND ")
	if !found {
		return "", netip.AddrPort{}, -1, false
	}
	rest = strings.TrimLeft(rest, " ")
	if strings.HasPrefix(rest, "\"") {
		end := strings.IndexByte(rest[1:], '"')
		if end < 0 {
			return "", netip.AddrPort{}, -1, false
		}
		name, rest = rest[1:1+end], rest[2+end:]
	} else {
		var sp bool
		name, rest, sp = strings.Cut(rest, " ")
		if !sp {
			return "", netip.AddrPort{}, -1, false
		}
	}
	f := strings.Fields(rest)
	if len(f) < 2 || name == "" {
		return "", netip.AddrPort{}, -1, false
	}
	var addr netip.Addr
	if n, err := strconv.ParseUint(f[0], 10, 32); err == nil {
		addr = netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
	} else if a, err := netip.ParseAddr(f[0]); err == nil && a.Zone() == "" {
		addr = a.Unmap()
	} else {
		return "", netip.AddrPort{}, -1, false
	}
	port, err := strconv.ParseUint(f[1], 10, 16)
	if err != nil || port == 0 {
		return "", netip.AddrPort{}, -1, false
	}
	size = -1
	if len(f) >= 3 {
		if n, err := strconv.ParseInt(f[2], 10, 64); err == nil && n >= 0 {
			size = n
		}
	}
	return name, netip.AddrPortFrom(addr, uint16(port)), size, true
}
