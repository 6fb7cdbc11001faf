package files

import (
	"bytes"
	"net/netip"
	"strconv"
	"strings"

	"github.com/pcapframe/pcapframe/analyzer"
)

// Bounds of the data connections expected from control connections (FTP, IRC DCC).
const (
	// MaxExpected caps the data connections announced and not yet seen, over all control connections; past it the
	// oldest announcement is forgotten.
	MaxExpected = 4096
	// expectWindow is how long (packet time) an announced data connection is waited for.
	expectWindow = 300e9
)

// expectation is a data connection announced on a control connection: the endpoint that listens for it.
type expectation struct {
	key    netip.AddrPort
	at     int64 // packet time of the announcement
	source string
	ftp    *ftpConn // the FTP control connection, or nil
	dcc    *dccOffer
}

// dccOffer is an IRC DCC SEND offer: the file's name and size.
type dccOffer struct {
	name string
	size int64
}

// expectations holds the announced data connections, keyed by the listening endpoint, oldest first.
type expectations struct {
	m     map[netip.AddrPort]*expectation
	order []netip.AddrPort
}

func newExpectations() expectations { return expectations{m: map[netip.AddrPort]*expectation{}} }

func (x *expectations) add(e *expectation) {
	if _, ok := x.m[e.key]; !ok {
		x.order = append(x.order, e.key)
	}
	x.m[e.key] = e
	for len(x.m) > MaxExpected && len(x.order) > 0 {
		delete(x.m, x.order[0])
		x.order = x.order[1:]
	}
	if len(x.order) > 2*MaxExpected { // keys taken since: compact
		keep := x.order[:0]
		for _, k := range x.order {
			if _, ok := x.m[k]; ok {
				keep = append(keep, k)
			}
		}
		x.order = keep
	}
}

// take returns (and forgets) the announcement a new connection answers: its responder (or, when the flow's
// direction was guessed, its originator) is an announced endpoint, announced within expectWindow.
func (x *expectations) take(f *analyzer.Flow) *expectation {
	if len(x.m) == 0 {
		return nil
	}
	for _, k := range [2]netip.AddrPort{f.Resp, f.Orig} {
		k = netip.AddrPortFrom(k.Addr().Unmap(), k.Port())
		if e := x.m[k]; e != nil {
			delete(x.m, k)
			if f.Start-e.at > expectWindow || f.Start < e.at-expectWindow {
				return nil
			}
			return e
		}
	}
	return nil
}

// ftpConn reads an FTP control connection (RFC 959): the data connections its PASV/EPSV replies and PORT/EPRT
// commands announce (RFC 2428 for the extended ones), the transfer commands and the sizes of 150 replies.
type ftpConn struct {
	c         *conn
	client    lineReader
	server    lineReader
	greeted   bool
	login     bool // USER or AUTH seen
	lines     int
	transfers int    // data connections announced
	cmd       string // the last transfer command: RETR, STOR, STOU, APPE, LIST, NLST, MLSD
	arg       string
	size      int64 // the last 150 reply's "(N bytes)", -1 when none
	cmdSeq    int   // transfer commands seen
}

func newFTP(c *conn) *ftpConn { return &ftpConn{c: c, size: -1} }

// data reads a run of bytes; false when the connection is not (or no longer) FTP control.
func (f *ftpConn) data(fromOrig bool, b []byte, frame, time int64) bool {
	if !fromOrig {
		return f.server.feed(b, func(line []byte, _ bool) bool {
			s := string(bytes.TrimRight(line, "\r\n"))
			if !f.greeted {
				f.greeted = strings.HasPrefix(s, "220")
				return f.greeted
			}
			switch {
			case strings.HasPrefix(s, "227 "):
				if ap, ok := ParsePASV(s); ok {
					f.expect(ap, time)
				}
			case strings.HasPrefix(s, "229 "):
				if port, ok := ParseEPSV(s); ok {
					f.expect(netip.AddrPortFrom(f.c.flow.Resp.Addr(), port), time)
				}
			case strings.HasPrefix(s, "150 "):
				f.size = replySize(s)
			}
			return true
		})
	}
	return f.client.feed(b, func(line []byte, _ bool) bool {
		s := string(bytes.TrimRight(line, "\r\n"))
		verb, arg, _ := strings.Cut(s, " ")
		verb = strings.ToUpper(verb)
		f.lines++
		if !f.login {
			if !f.greeted || f.lines > maxProbeLines {
				return false
			}
			if verb != "USER" && verb != "AUTH" && verb != "FEAT" && verb != "OPTS" && verb != "SYST" {
				return false
			}
			if verb == "AUTH" {
				return false // TLS follows (RFC 4217)
			}
			f.login = true
			return true
		}
		switch verb {
		case "PORT":
			if ap, ok := ParsePORT(arg); ok {
				f.expect(ap, time)
			}
		case "EPRT":
			if ap, ok := ParseEPRT(arg); ok {
				f.expect(ap, time)
			}
		case "RETR", "STOR", "STOU", "APPE", "LIST", "NLST", "MLSD":
			f.cmd, f.arg, f.size = verb, arg, -1
			f.cmdSeq++
		}
		return true
	})
}

func (f *ftpConn) gap(fromOrig bool) {
	if fromOrig {
		f.client.reset()
	} else {
		f.server.reset()
	}
}

func (f *ftpConn) expect(ap netip.AddrPort, time int64) {
	f.transfers++
	f.c.a.expect.add(&expectation{key: netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), at: time, source: "FTP_DATA", ftp: f})
}

// ParsePASV reads the address of a 227 reply (RFC 959 §4.2: "227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)";
// the text around the six numbers varies, so the first run of six comma-separated numbers is taken).
func ParsePASV(reply string) (netip.AddrPort, bool) {
	for i := 4; i < len(reply); i++ {
		if reply[i] < '0' || reply[i] > '9' || reply[i-1] >= '0' && reply[i-1] <= '9' {
			continue
		}
		if ap, ok := ParsePORT(reply[i:]); ok {
			return ap, true
		}
	}
	return netip.AddrPort{}, false
}

// ParsePORT reads the argument of PORT (RFC 959 §4.1.2: h1,h2,h3,h4,p1,p2, each 0-255), ignoring what follows
// the sixth number.
func ParsePORT(arg string) (netip.AddrPort, bool) {
	var n [6]int
	s := strings.TrimSpace(arg)
	for k := 0; k < 6; k++ {
		j := 0
		for j < len(s) && j < 4 && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == 0 || j > 3 {
			return netip.AddrPort{}, false
		}
		v, _ := strconv.Atoi(s[:j])
		if v > 255 {
			return netip.AddrPort{}, false
		}
		n[k] = v
		s = s[j:]
		if k < 5 {
			s = strings.TrimLeft(s, " ")
			if !strings.HasPrefix(s, ",") {
				return netip.AddrPort{}, false
			}
			s = strings.TrimLeft(s[1:], " ")
		}
	}
	addr := netip.AddrFrom4([4]byte{byte(n[0]), byte(n[1]), byte(n[2]), byte(n[3])})
	port := uint16(n[4]<<8 | n[5])
	return netip.AddrPortFrom(addr, port), port != 0
}

// ParseEPSV reads the port of a 229 reply (RFC 2428 §3: "229 Entering Extended Passive Mode (|||6446|)": the
// delimiter is the first character after "(", the network address fields are empty).
func ParseEPSV(reply string) (uint16, bool) {
	i := strings.IndexByte(reply, '(')
	if i < 0 || i+1 >= len(reply) {
		return 0, false
	}
	s := reply[i+1:]
	d := s[0]
	if d < 33 || d > 126 {
		return 0, false
	}
	f := strings.Split(s, string(d))
	if len(f) < 5 || f[1] != "" || f[2] != "" {
		return 0, false
	}
	p, err := strconv.ParseUint(f[3], 10, 16)
	if err != nil || p == 0 {
		return 0, false
	}
	return uint16(p), true
}

// ParseEPRT reads the argument of EPRT (RFC 2428 §2: <d><net-prt><d><net-addr><d><tcp-port><d>, net-prt 1 for
// IPv4 and 2 for IPv6, any printable delimiter).
func ParseEPRT(arg string) (netip.AddrPort, bool) {
	s := strings.TrimSpace(arg)
	if len(s) < 7 {
		return netip.AddrPort{}, false
	}
	d := s[0]
	if d < 33 || d > 126 {
		return netip.AddrPort{}, false
	}
	f := strings.Split(s, string(d))
	if len(f) != 5 || f[0] != "" || f[4] != "" {
		return netip.AddrPort{}, false
	}
	addr, err := netip.ParseAddr(f[2])
	if err != nil || (f[1] == "1") != addr.Is4() || f[1] != "1" && f[1] != "2" || addr.Zone() != "" {
		return netip.AddrPort{}, false
	}
	p, err := strconv.ParseUint(f[3], 10, 16)
	if err != nil || p == 0 {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(addr, uint16(p)), true
}

// replySize reads the size some servers give in a 150 reply: "... (77 bytes)."; -1 when none.
func replySize(s string) int64 {
	i := strings.LastIndex(s, " bytes)")
	if i < 0 {
		return -1
	}
	j := strings.LastIndexByte(s[:i], '(')
	if j < 0 {
		return -1
	}
	n, err := strconv.ParseInt(s[j+1:i], 10, 64)
	if err != nil || n < 0 {
		return -1
	}
	return n
}

// dataConn reads a data connection announced on a control connection: everything one side sends is one
// object (the other side sends nothing but DCC acknowledgements, which are not an object).
type dataConn struct {
	c     *conn
	e     *expectation
	depth int
	obj   *object
	from  bool // the side the object comes from
	other int64
	cmd   string // the FTP transfer command in force at the first byte
	seq   int    // and its number
}

func newDataConn(c *conn, e *expectation) *dataConn {
	d := &dataConn{c: c, e: e, depth: 1}
	if e.ftp != nil {
		d.depth = e.ftp.transfers
	}
	return d
}

func (d *dataConn) write(fromOrig bool, b []byte, frame, time int64) {
	if d.obj == nil {
		if d.e.dcc != nil && fromOrig { // the receiver's 4-byte acknowledgements (DCC)
			return
		}
		d.from = fromOrig
		d.obj = d.c.newObject(d.e.source, fromOrig, d.depth, 0, time)
		if f := d.e.ftp; f != nil {
			d.cmd, d.seq = f.cmd, f.cmdSeq
			if named(f.cmd) {
				d.obj.row.Filename = f.arg
			}
		}
		if o := d.e.dcc; o != nil {
			d.obj.row.Filename, d.obj.row.TotalBytes = o.name, o.size
		}
	}
	if fromOrig != d.from {
		d.other += int64(len(b))
		return
	}
	d.obj.write(b, frame, time)
}

func (d *dataConn) gap(fromOrig bool, n int64, frame, time int64) {
	if d.obj != nil && fromOrig == d.from {
		d.obj.row.MissingBytes += n
	}
}

func (d *dataConn) end() {
	if d.obj == nil {
		return
	}
	if f := d.e.ftp; f != nil && f.cmdSeq == d.seq && d.cmd == "RETR" && f.size >= 0 {
		d.obj.row.TotalBytes = f.size // the 150 reply of the command the transfer answers
	}
	d.obj.finish(true)
	d.obj = nil
}

// named reports whether an FTP transfer command's argument is a file name.
func named(cmd string) bool { return cmd == "RETR" || cmd == "STOR" || cmd == "STOU" || cmd == "APPE" }
