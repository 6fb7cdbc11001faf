package decode

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"io"
	"slices"
	"strings"
)

// sender names the side that sends the data in direction d.
func (d Direction) sender() string {
	if d == Down {
		return "server"
	}
	return "client"
}

// DecodeDown puts back together the data carried downstream (server to client) in the answers of the responses
// under opts.Domain (ReadResponses reads them). The tool is recognised from the framing of the question names, as
// Decode does (Options.Tool forces one):
//
//   - iodine: the answers to data and ping queries carry a 2-byte header (compression flag, downstream packet
//     and fragment numbers, last-fragment flag) and the fragment, raw in NULL (and PRIVATE) records, after a
//     codec character in TXT (t base32, s base64, u base64u, v base128, r raw) and in host names of CNAME, A
//     (answered with a CNAME), MX and SRV records (h, i, j, k); fragments are joined and, when flagged,
//     decompressed (zlib) into the IP packets the server sent (its doc/proto_00000502.txt; the host names end with
//     a rotating two-letter top domain, not the tunnel's, which is dropped).
//   - dns2tcp: TXT (or KEY) answers, an index letter then base64 of the 7-byte header and the data: the server's
//     side of the tunnelled TCP stream, in sequence order.
//   - dnscat2: packets in hex in TXT answers, in hex labels before the domain (or after the "dnscat" tag) in
//     CNAME and MX answers, and in A and AAAA answers as raw bytes behind a one-byte order number, the whole
//     preceded by its length (its doc/protocol.md and server/tunnel_drivers/driver_dns.rb); MSG packets in order
//     per session.
//   - the plain scheme: the text of TXT answers (and the labels of CNAME, MX, NS answers before the domain) as
//     chunks, ordered by a sequence label in the question names when there is one, else in capture order, and
//     decoded as Decode decodes the plain scheme's names.
//
// DNSExfiltrator sends nothing downstream.
func DecodeDown(rs []Response, opts Options) (*Result, error) {
	if err := checkOptions(&opts); err != nil {
		return nil, err
	}
	if len(rs) > MaxResponses {
		return nil, fmt.Errorf("decode: %d responses, more than %d", len(rs), MaxResponses)
	}
	rs = slices.DeleteFunc(slices.Clone(rs), func(x Response) bool { return x.Query })
	items := under(asQueries(rs), opts.Domain)
	r := &Result{Domain: strings.ToLower(strings.Trim(opts.Domain, ".")), Direction: Down, Queries: len(items), inAnswers: true}
	if len(items) == 0 {
		r.note("no response under %s", r.where())
		return r, nil
	}
	tool := opts.Tool
	if tool == "" {
		tool = recognise(items)
	}
	r.Tool = tool
	var err error
	switch tool {
	case ToolIodine:
		err = downIodine(r, items, rs, opts)
	case ToolDNSCat2:
		err = downDNSCat2(r, items, rs, opts)
	case ToolDNS2TCP:
		err = downDNS2TCP(r, items, rs, opts)
	case ToolDNSExfiltrator:
		r.note("DNSExfiltrator sends nothing downstream: its server answers each query with an acknowledgement")
	case ToolPlain:
		err = downPlain(r, items, rs, opts)
	default:
		return nil, fmt.Errorf("decode: unknown tool %q (%s)", tool, strings.Join(Tools, ", "))
	}
	if err != nil {
		return r, err
	}
	finish(r)
	return r, nil
}

// asQueries gives the question of each response as a Query, so that under and recognise read them.
func asQueries(rs []Response) []Query {
	qs := make([]Query, len(rs))
	for i, x := range rs {
		qs[i] = Query{TS: x.TS, Frame: x.Frame, Client: x.Client, Server: x.Server, QType: x.QType, Name: x.Name}
	}
	return qs
}

// DecodeQueryAnswers puts back together the data a client put in the answer section of its own queries (the
// Response.Query messages that ReadResponses returns): the text of their TXT answers (and the labels of CNAME, MX,
// NS answers before the domain) as the chunks of the plain scheme, ordered by a sequence label of the question
// names when there is one, else in capture order. The result's direction is up.
func DecodeQueryAnswers(rs []Response, opts Options) (*Result, error) {
	if err := checkOptions(&opts); err != nil {
		return nil, err
	}
	if len(rs) > MaxResponses {
		return nil, fmt.Errorf("decode: %d messages, more than %d", len(rs), MaxResponses)
	}
	rs = slices.DeleteFunc(slices.Clone(rs), func(x Response) bool { return !x.Query })
	items := under(asQueries(rs), opts.Domain)
	r := &Result{Domain: strings.ToLower(strings.Trim(opts.Domain, ".")), Direction: Up, Queries: len(items), Tool: ToolPlain, inAnswers: true}
	if len(items) == 0 {
		r.note("no query under %s carries answer records", r.where())
		return r, nil
	}
	if err := downPlain(r, items, rs, opts); err != nil {
		return r, err
	}
	r.note("the data is in the answer section of the client's queries, not in their names")
	finish(r)
	return r, nil
}

// finish identifies the decoded data and carves the files inside data of no known type.
func finish(r *Result) {
	if r.Decoded && len(r.Packets) == 0 {
		r.Identity = Identify(r.Data)
		if r.MIME == "application/octet-stream" && !r.Encrypted {
			r.Carved = Carve(r.Data)
			for _, c := range r.Carved {
				r.note("a file of type %s starts at byte %d", c.MIME, c.Offset)
			}
		}
	}
}

// stripDomain returns the labels of a name in an answer without the domain after them (when they end with it)
// and without dnscat2's tag before them; ok is false when neither was there.
func stripDomain(name []byte, domain string) ([][]byte, bool) {
	ls := Labels(string(name))
	dl := Labels(strings.ToLower(strings.Trim(domain, ".")))
	switch {
	case len(ls) >= 2 && strings.EqualFold(string(ls[0]), dnscatTag):
		return ls[1:], true
	case len(dl) > 0 && nameUnder(ls, dl):
		return ls[:len(ls)-len(dl)], true
	}
	return ls, false
}

// downDNS2TCP reads dns2tcp's answers: TXT (or KEY) records whose text is an index letter ('A' for the first
// answer, 'B' ...) then base64 of the 7-byte header and the data (its server/rr.c and requests.c).
func downDNS2TCP(r *Result, items []item, rs []Response, opts Options) error {
	var pkts [][]byte
	bad := 0
	for _, it := range items {
		cmd := false
		for _, l := range it.labels {
			cmd = cmd || len(l) > 0 && l[0] == '='
		}
		if cmd {
			continue // the answers to =auth and =connect
		}
		var texts [][]byte
		for _, a := range rs[it.idx].Answers {
			if (a.Type == 16 || a.Type == 25) && len(a.Data) > 1 {
				texts = append(texts, a.Data)
			}
		}
		slices.SortStableFunc(texts, func(a, b []byte) int { return int(a[0]) - int(b[0]) })
		for _, t := range texts {
			b, err := DecodeString(Base64, string(t[1:]))
			if err != nil || len(b) < 7 {
				bad++
				continue
			}
			pkts = append(pkts, b)
		}
	}
	if err := dns2tcpStream(r, pkts, opts); err != nil {
		return err
	}
	if bad > 0 {
		r.note("%d answer(s) were not dns2tcp's base64 packets", bad)
	}
	r.Decoded = len(pkts) > 0
	if r.Decoded {
		r.note("the server's side of the tunnelled TCP stream")
	} else {
		r.note("no dns2tcp packet in the answers")
	}
	return nil
}

// downDNSCat2 reads dnscat2's packets from the answers: hex in TXT; hex labels in CNAME and MX names, with the
// domain after them or the "dnscat" tag before; in A and AAAA records, each record's first byte is its order
// and the bytes after it, joined in that order, are a length byte then the packet (padded with 0xff).
func downDNSCat2(r *Result, items []item, rs []Response, opts Options) error {
	var pkts [][]byte
	bad := 0
	for _, it := range items {
		var addrs []Answer
		for _, a := range rs[it.idx].Answers {
			var b []byte
			var err error
			switch a.Type {
			case 16:
				b, err = DecodeString(Hex, string(a.Data))
			case 5, 15:
				ls, _ := stripDomain(a.Data, r.Domain)
				b, err = DecodeString(Hex, dataText(ls))
			case 1, 28:
				if len(a.Data) > 1 {
					addrs = append(addrs, a)
				}
				continue
			default:
				continue
			}
			if err != nil || len(b) < 5 {
				bad++
				continue
			}
			pkts = append(pkts, b)
		}
		if len(addrs) > 0 {
			slices.SortStableFunc(addrs, func(a, b Answer) int { return int(a.Data[0]) - int(b.Data[0]) })
			var joined []byte
			for _, a := range addrs {
				joined = append(joined, a.Data[1:]...)
			}
			if n := int(joined[0]); n >= 5 && n+1 <= len(joined) {
				pkts = append(pkts, joined[1:1+n])
			} else {
				bad++
			}
		}
	}
	r.Encoding, r.Why = Hex, "dnscat2 writes its packets in hex (raw bytes in A and AAAA records)"
	if bad > 0 {
		r.note("%d answer(s) were not dnscat2 packets", bad)
	}
	if err := dnscat2Sessions(r, pkts, opts); err != nil {
		return err
	}
	// a session is encrypted both ways: the client's packets (in the question names) may show it when the
	// server's few do not
	up := &Result{Direction: Up}
	if err := decodeDNSCat2(up, items, opts); err == nil && up.Encrypted && !r.Encrypted {
		r.Encrypted = true
		r.note("the client's packets in the question names show the session encrypted (dnscat2 encrypts both ways, with ECDH keys and Salsa20, which a capture cannot undo); the ciphertext is written")
	}
	return nil
}

// iodineDownCodec maps the character that begins iodine's TXT answers and host names to its codec.
func iodineDownCodec(c byte, host bool) (Encoding, bool) {
	c |= 0x20
	if host {
		switch c {
		case 'h':
			return IodineBase32, true
		case 'i':
			return IodineBase64, true
		case 'j':
			return IodineBase64U, true
		case 'k':
			return IodineBase128, true
		}
		return "", false
	}
	switch c {
	case 't':
		return IodineBase32, true
	case 's':
		return IodineBase64, true
	case 'u':
		return IodineBase64U, true
	case 'v':
		return IodineBase128, true
	case 'r':
		return Raw, true
	}
	return "", false
}

// iodineAnswer returns the downstream bytes (2-byte header and fragment) of an iodine response, and the codec.
func iodineAnswer(as []Answer, domain string) ([]byte, Encoding, bool) {
	var hosts []Answer
	for _, a := range as {
		switch a.Type {
		case 10, 65399: // NULL, PRIVATE: raw
			return a.Data, Raw, true
		case 16:
			if len(a.Data) == 0 {
				return nil, "", false
			}
			e, ok := iodineDownCodec(a.Data[0], false)
			if !ok {
				return nil, "", false
			}
			if e == Raw {
				return a.Data[1:], Raw, true
			}
			b, err := DecodeString(e, string(a.Data[1:]))
			return b, e, err == nil
		case 5, 15, 33:
			hosts = append(hosts, a)
		}
	}
	if len(hosts) == 0 {
		return nil, "", false
	}
	// MX and SRV: each host name encoded on its own, in increasing priority
	slices.SortStableFunc(hosts, func(a, b Answer) int { return int(a.Pref) - int(b.Pref) })
	var out []byte
	var enc Encoding
	for _, h := range hosts {
		ls, ok := stripDomain(h.Data, domain)
		if !ok && len(ls) >= 2 && len(ls[len(ls)-1]) <= 3 {
			// iodine's server ends its host names with a rotating two-letter top domain, not the tunnel's domain
			// (write_dns_nameenc in its src/iodined.c)
			ls = ls[:len(ls)-1]
		}
		t := dataText(ls)
		if t == "" {
			return nil, "", false
		}
		e, ok := iodineDownCodec(t[0], true)
		if !ok {
			return nil, "", false
		}
		b, err := DecodeString(e, t[1:])
		if err != nil {
			return nil, "", false
		}
		out, enc = append(out, b...), e
	}
	return out, enc, true
}

// downIodine rebuilds the IP packets an iodine server sent down: the answers to data queries (a hex user id
// first) and pings ('p') carry the downstream header C|SSS|FFFF, DDD|GGGG|L (compression flag, the upstream
// acknowledgement, downstream packet DDD, fragment GGGG, last flag) and a fragment of the packet.
func downIodine(r *Result, items []item, rs []Response, opts Options) error {
	type frag struct {
		data       []byte
		last, comp bool
	}
	pending := map[int]map[int]frag{}
	recent := make([]string, 0, 32)
	codecs := map[Encoding]int{}
	bad, empty := 0, 0
	var total int64
	var zr io.ReadCloser
	for _, it := range items {
		t := dataText(it.labels)
		if t == "" || !(isHexDigit(t[0]) || t[0]|0x20 == 'p') {
			continue // the handshake: version, login, codec and fragment size probes
		}
		b, enc, ok := iodineAnswer(rs[it.idx].Answers, r.Domain)
		if !ok || len(b) < 2 {
			if len(rs[it.idx].Answers) > 0 {
				bad++
			}
			continue
		}
		codecs[enc]++
		if len(b) == 2 {
			empty++
			continue
		}
		comp, seq, fn, last := b[0]&0x80 != 0, int(b[1]>>5), int(b[1]>>1&15), b[1]&1 == 1
		key := fmt.Sprintf("%d.%d.%x", seq, fn, b[2:])
		if containsStr(recent, key) {
			r.Duplicates++
			continue
		}
		if len(recent) == cap(recent) {
			recent = recent[1:]
		}
		recent = append(recent, key)
		fr := pending[seq]
		if _, again := fr[0]; fr == nil || fn == 0 && again {
			// the packet numbers wrap at 8: a first fragment where one was already is the next packet
			fr = map[int]frag{}
			pending[seq] = fr
		}
		if _, ok := fr[fn]; ok {
			r.Duplicates++
			continue
		}
		fr[fn] = frag{data: b[2:], last: last, comp: comp}
		r.Chunks++
		var joined []byte
		complete, compressed := false, false
		for i := 0; i < 16; i++ {
			f, ok := fr[i]
			if !ok {
				break
			}
			joined = append(joined, f.data...)
			compressed = compressed || f.comp
			if f.last {
				complete = true
				break
			}
		}
		if !complete {
			continue
		}
		delete(pending, seq)
		pkt := joined
		if compressed {
			var err error
			if zr == nil {
				zr, err = zlib.NewReader(bytes.NewReader(joined))
			} else {
				err = zr.(zlib.Resetter).Reset(bytes.NewReader(joined), nil) // one inflater for all packets
			}
			if err != nil {
				zr = nil
				bad++
				continue
			}
			pkt, err = io.ReadAll(io.LimitReader(zr, 1<<16+1))
			if err != nil || len(pkt) > 1<<16 {
				bad++
				continue
			}
		}
		pkt = stripTunHeader(pkt)
		total += int64(len(pkt))
		if total > opts.Limit {
			return fmt.Errorf("decode: %w", ErrTooLarge)
		}
		r.Packets = append(r.Packets, Packet{TS: it.q.TS, Data: pkt})
	}
	best := 0
	for e, n := range codecs {
		if n > best || n == best && e < r.Encoding {
			r.Encoding, best = e, n
		}
	}
	r.Why, r.Sequenced, r.Compression = "iodine's downstream: raw in NULL records, else the codec its answers name", true, "zlib"
	if len(pending) > 0 {
		r.note("%d packet(s) left incomplete (fragments missing)", len(pending))
	}
	if bad > 0 {
		r.note("%d answer(s) or packet(s) did not decode or decompress", bad)
	}
	r.Decoded = len(r.Packets) > 0
	if r.Decoded {
		r.MIME, r.Extension = "application/vnd.tcpdump.pcap", ".pcap"
		r.note("%d IP packet(s) sent through the tunnel by the server, written as a pcap (raw IP); %d answer(s) carried no data", len(r.Packets), empty)
	} else {
		r.note("no complete iodine packet in the answers (%d carried no data)", empty)
	}
	return nil
}

// stripTunHeader drops the 4-byte header that Linux tun devices without IFF_NO_PI, and the BSDs, put before a
// packet.
func stripTunHeader(pkt []byte) []byte {
	if len(pkt) >= 24 && pkt[0] == 0 && pkt[1] == 0 && (pkt[2] == 0x08 && pkt[3] == 0x00 || pkt[2] == 0x86 && pkt[3] == 0xdd) {
		return pkt[4:]
	}
	return pkt
}

// downPlain takes the text of TXT answers (and the labels of CNAME, MX and NS answers before the domain) as the
// chunks of the plain scheme, ordered by the sequence label of the question names when they have one.
func downPlain(r *Result, items []item, rs []Response, opts Options) error {
	seqPos := plainColumns(r, items)
	var chunks []chunk
	addrs := 0
	for _, it := range items {
		var text []byte
		for _, a := range rs[it.idx].Answers {
			switch a.Type {
			case 16:
				text = append(text, a.Data...)
			case 5, 15, 2:
				ls, ok := stripDomain(a.Data, r.Domain)
				if ok {
					text = append(text, dataText(ls)...)
				}
			case 1, 28:
				addrs++
			}
		}
		if len(text) == 0 {
			continue
		}
		c := chunk{seq: -1, ts: it.q.TS, text: string(text)}
		if seqPos != noSeq && len(it.labels) >= 1 {
			i := 0
			if seqPos < 0 {
				i = len(it.labels) - 1
			}
			if v, ok := parseSeq(it.labels[i], true); ok {
				c.seq = v
			}
		}
		c.repaired = c.text
		chunks = append(chunks, c)
	}
	if len(chunks) == 0 {
		r.Encoding = Raw
		if addrs > 0 {
			r.note("not decoded: %d address answers and no TXT or name answers; the plain scheme reads text answers only", addrs)
		} else {
			r.note("not decoded: no TXT, CNAME, MX or NS answer under %s", r.where())
		}
		return nil
	}
	r.Sequenced = seqPos != noSeq
	chunks = orderChunks(r, chunks)
	return decodeChunks(r, chunks, opts)
}
