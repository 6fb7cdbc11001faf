package decode

import (
	"bytes"
	"crypto/rc4"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Query is one DNS query as the dns table holds it.
type Query struct {
	TS     int64 // packet time, ns since the Unix epoch
	Frame  int64
	Client string
	Server string
	QType  uint16
	// Name is the question's name in the dns table's escaped text form (printable ASCII as is, '\\' for a
	// backslash, \xHH for every other byte and for a '.' inside a label).
	Name string
}

// Tools that Decode recognises by their framing.
const (
	ToolPlain          = "plain"          // <seq>.<chunk>...<domain>, or chunks in capture order
	ToolDNSExfiltrator = "dnsexfiltrator" // Arno0x's DNSExfiltrator: init.<base32 name|chunks>.<codec>, then <n>.<data>
	ToolDNSCat2        = "dnscat2"        // iagox86's dnscat2: hex packets, MSG ordered by seq
	ToolDNS2TCP        = "dns2tcp"        // dns2tcp: base64 with a 7-byte header, =auth/=connect commands
	ToolIodine         = "iodine"         // iodine: zlib-compressed IP packets, fragmented, in its own codecs
)

// Direction is the way the data travels: Up from the client in the names of the queries, Down from the server in
// the answers.
type Direction string

// The directions.
const (
	Up   Direction = "up"
	Down Direction = "down"
)

// Tools lists the tool names Options.Tool accepts.
var Tools = []string{ToolPlain, ToolDNSExfiltrator, ToolDNSCat2, ToolDNS2TCP, ToolIodine}

// Options configure Decode.
type Options struct {
	// Domain is the base domain under which the data travels (required): it and everything after the data
	// labels is stripped.
	Domain string
	// Tool forces a tool's framing ("" recognises it).
	Tool string
	// Encoding forces the encoding of the plain scheme ("" recognises it).
	Encoding Encoding
	// Key is DNSExfiltrator's RC4 password (its -p option); without it the result stays encrypted.
	Key string
	// Limit caps the bytes of the result (0: MaxOutput).
	Limit int64
}

// Packet is one inner packet of a tunnel (iodine's IP packets), with the time of the query that completed it.
type Packet struct {
	TS   int64
	Data []byte
}

// Result is what Decode made of the queries under a domain.
type Result struct {
	// Domain is the base domain; "" for dnscat2's names that begin with its "dnscat" tag.
	Domain string
	// Direction is Up (the client's data, in the names of the queries) or Down (the server's, in the answers).
	Direction Direction
	Tool      string
	Encoding  Encoding
	// Why says why the encoding was chosen.
	Why string
	// Compression is gzip, zlib or deflate when the decoded bytes were decompressed.
	Compression string
	// Queries is how many queries were under the domain; Chunks how many carried data that was used;
	// Duplicates how many repeated a chunk already taken (retransmissions); Missing how many sequence numbers
	// between the first and the last were never seen.
	Queries, Chunks, Duplicates, Missing int
	// Sequenced says whether the chunks were put in order by sequence markers (else capture order).
	Sequenced bool
	// Data is the decoded (and decompressed) bytes: the file, or the client's stream of a tunnel.
	Data []byte
	// Packets are the inner packets of an iodine tunnel (Data is then empty).
	Packets []Packet
	// FileName is the name the tool sent with the data, if any.
	FileName string
	Identity
	// Decoded is false when nothing could be decoded: Notes then say why and give the best guess.
	Decoded bool
	// Encrypted is true when the data is known to be encrypted (dnscat2's encrypted sessions, DNSExfiltrator
	// without the key).
	Encrypted bool
	// Carved are the files found inside Data by their magic bytes when Data itself has no known type (a
	// tunnel's stream that carries a file after a protocol's header).
	Carved []Carved
	// Notes say what was done, what could not be and why.
	Notes []string
	// inAnswers is set when the data is read from answer records (downstream, or the answers of queries).
	inAnswers bool
}

func (r *Result) note(format string, a ...any) { r.Notes = append(r.Notes, fmt.Sprintf(format, a...)) }

// where names the names decoded: the domain, or dnscat2's tag.
func (r *Result) where() string {
	if r.Domain == "" {
		return "the \"dnscat\" tag"
	}
	return r.Domain
}

// checkOptions checks the domain (required, but for dnscat2's tag) and sets the default limit.
func checkOptions(opts *Options) error {
	if strings.Trim(opts.Domain, ".") == "" && opts.Tool != ToolDNSCat2 {
		return fmt.Errorf("decode: no domain (only dnscat2's names, which begin with \"dnscat.\", can go without)")
	}
	if opts.Limit <= 0 {
		opts.Limit = MaxOutput
	}
	return nil
}

// MaxQueries bounds the queries Decode reads.
const MaxQueries = 4 << 20

// Labels splits a name in the escaped text form into its labels' bytes.
func Labels(name string) [][]byte {
	if name == "" || name == "." {
		return nil
	}
	var out [][]byte
	var cur []byte
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '.':
			out = append(out, cur)
			cur = nil
		case c == '\\' && i+1 < len(name) && name[i+1] == '\\':
			cur = append(cur, '\\')
			i++
		case c == '\\' && i+3 < len(name) && name[i+1] == 'x':
			v, err := strconv.ParseUint(name[i+2:i+4], 16, 8)
			if err != nil {
				cur = append(cur, c)
				continue
			}
			cur = append(cur, byte(v))
			i += 3
		default:
			cur = append(cur, c)
		}
	}
	out = append(out, cur)
	if n := len(out); n > 0 && len(out[n-1]) == 0 {
		out = out[:n-1]
	}
	return out
}

// EscapeName writes labels in the escaped text form of the dns table (the inverse of Labels).
func EscapeName(labels [][]byte) string {
	var b strings.Builder
	for i, l := range labels {
		if i > 0 {
			b.WriteByte('.')
		}
		for _, c := range l {
			switch {
			case c == '\\':
				b.WriteString(`\\`)
			case c == '.' || c < 0x20 || c > 0x7e:
				fmt.Fprintf(&b, `\x%02x`, c)
			default:
				b.WriteByte(c)
			}
		}
	}
	return b.String()
}

// item is one query's data labels under the domain.
type item struct {
	q      *Query
	idx    int // the index of q in the slice given to under
	labels [][]byte
}

// under returns the queries below domain with their labels before it, in capture order; with domain "", the
// queries that begin with dnscat2's "dnscat" tag, with their labels after it.
func under(qs []Query, domain string) []item {
	dl := Labels(strings.ToLower(strings.Trim(domain, ".")))
	var out []item
	for i := range qs {
		ls := Labels(qs[i].Name)
		if !nameUnder(ls, dl) {
			continue
		}
		if len(dl) == 0 {
			out = append(out, item{q: &qs[i], idx: i, labels: ls[1:]})
		} else {
			out = append(out, item{q: &qs[i], idx: i, labels: ls[:len(ls)-len(dl)]})
		}
	}
	slices.SortStableFunc(out, func(a, b item) int {
		if a.q.Frame != b.q.Frame {
			return cmpInt(a.q.Frame, b.q.Frame)
		}
		return cmpInt(a.q.TS, b.q.TS)
	})
	return out
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Decode puts back together the data carried upstream (client to server) in the names of the queries under
// opts.Domain. With no domain and Options.Tool dnscat2, the queries that begin with dnscat2's "dnscat" tag are
// taken (its client without a domain, talking to the server directly).
func Decode(qs []Query, opts Options) (*Result, error) {
	if err := checkOptions(&opts); err != nil {
		return nil, err
	}
	if len(qs) > MaxQueries {
		return nil, fmt.Errorf("decode: %d queries, more than %d", len(qs), MaxQueries)
	}
	items := under(qs, opts.Domain)
	r := &Result{Domain: strings.ToLower(strings.Trim(opts.Domain, ".")), Direction: Up, Queries: len(items)}
	if len(items) == 0 {
		r.note("no query under %s", r.where())
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
		err = decodeIodine(r, items, opts)
	case ToolDNSCat2:
		err = decodeDNSCat2(r, items, opts)
	case ToolDNS2TCP:
		err = decodeDNS2TCP(r, items, opts)
	case ToolDNSExfiltrator:
		err = decodeDNSExfiltrator(r, items, opts)
	case ToolPlain:
		err = decodePlain(r, items, opts)
	default:
		return nil, fmt.Errorf("decode: unknown tool %q (%s)", tool, strings.Join(Tools, ", "))
	}
	if err != nil {
		return r, err
	}
	finish(r)
	return r, nil
}

// recognise names the tool whose framing the queries show.
func recognise(items []item) string {
	var iodineVersion, iodineData, iodineCmd, dnscat, dns2tcpCmd, exfInit int
	for _, it := range items {
		first := it.labels[0]
		if len(first) == 0 {
			continue
		}
		if bytes.EqualFold(first, []byte("init")) && len(it.labels) >= 3 {
			if b, err := DecodeString(Base32, string(it.labels[1])); err == nil && bytes.Contains(b, []byte("|")) {
				exfInit++
			}
		}
		for _, l := range it.labels {
			if len(l) > 1 && l[0] == '=' {
				dns2tcpCmd++
				break
			}
		}
		if (first[0] == 'v' || first[0] == 'V') && len(first) >= 9 {
			if b, err := DecodeString(IodineBase32, string(first[1:9])); err == nil && len(b) >= 4 && b[0] == 0 && b[1] == 0 && (b[2] == 5 || b[2] == 8) {
				iodineVersion++
			}
		}
		if isHexDigit(first[0]) && len(first) >= 6 && validIodineHeader(first[1:4]) {
			iodineData++
		}
		if strings.IndexByte("pPyYzZ", first[0]) >= 0 {
			iodineCmd++
		}
		joined := dataText(it.labels)
		if bytes.EqualFold(first, []byte("dnscat")) {
			joined = dataText(it.labels[1:])
		}
		if c := classify(joined); c.hexOnly && len(joined) >= 10 && len(joined)%2 == 0 {
			if b, err := DecodeString(Hex, joined); err == nil && (b[2] <= 3 || b[2] == 0xff) {
				dnscat++
			}
		}
	}
	n := len(items)
	switch {
	case exfInit > 0:
		return ToolDNSExfiltrator
	case iodineVersion > 0 || (iodineData*2 >= n && iodineCmd > 0 && dnscat*2 < n):
		return ToolIodine
	case dns2tcpCmd > 0:
		return ToolDNS2TCP
	case dnscat*10 >= n*9 && n >= 2:
		return ToolDNSCat2
	}
	return ToolPlain
}

func isHexDigit(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func validIodineHeader(h []byte) bool {
	for _, c := range h {
		if strings.IndexByte(iodine32, c|0x20) < 0 && !(c >= '0' && c <= '5') {
			return false
		}
	}
	return true
}

// dataText joins labels without their dots.
func dataText(labels [][]byte) string {
	n := 0
	for _, l := range labels {
		n += len(l)
	}
	b := make([]byte, 0, n)
	for _, l := range labels {
		b = append(b, l...)
	}
	return string(b)
}

// chunk is one piece of data text with its sequence number (-1 when none).
type chunk struct {
	seq      int64
	text     string
	repaired string // text with the host-name repairs of repairText
	ts       int64
}

// parseSeq reads a sequence label: decimal, or hexadecimal of at most 8 digits.
func parseSeq(l []byte, hexOK bool) (int64, bool) {
	if len(l) == 0 || len(l) > 10 {
		return 0, false
	}
	if v, err := strconv.ParseInt(string(l), 10, 64); err == nil && v >= 0 {
		return v, true
	}
	if hexOK && len(l) <= 8 {
		if v, err := strconv.ParseInt(string(l), 16, 64); err == nil && v >= 0 {
			return v, true
		}
	}
	return 0, false
}

// seqColumn says whether the label at index pos (from the start when pos >= 0, from the end when < 0) is a
// sequence marker in nearly every item: a short number, mostly distinct, spanning about as many values as there
// are items.
func seqColumn(items []item, pos int, hexOK bool, minLabels int) bool {
	if len(items) < 2 {
		return false
	}
	seen := map[int64]bool{}
	var lo, hi int64 = -1, -1
	ok := 0
	for _, it := range items {
		if len(it.labels) < minLabels {
			continue
		}
		i := pos
		if pos < 0 {
			i = len(it.labels) + pos
		}
		if i < 0 || i >= len(it.labels) {
			continue
		}
		v, good := parseSeq(it.labels[i], hexOK)
		if !good {
			continue
		}
		ok++
		seen[v] = true
		if lo < 0 || v < lo {
			lo = v
		}
		if v > hi {
			hi = v
		}
	}
	if ok*10 < len(items)*9 || len(seen) < 2 {
		return false
	}
	return hi-lo+1 <= int64(2*len(seen)+2)
}

// constColumn says whether the label at pos is the same in every item (a session id).
func constColumn(items []item, pos int) bool {
	if len(items) < 2 {
		return false
	}
	var v []byte
	for k, it := range items {
		i := pos
		if pos < 0 {
			i = len(it.labels) + pos
		}
		if len(it.labels) < 2 || i < 0 || i >= len(it.labels) {
			return false
		}
		if k == 0 {
			v = it.labels[i]
		} else if !bytes.Equal(v, it.labels[i]) {
			return false
		}
	}
	return true
}

// noSeq is plainColumns' answer when the names have no sequence label.
const noSeq = 1 << 30

// plainColumns strips the labels that are the same in every item (session ids, a fixed tag) at either end, then
// finds a sequence label: its position (0 first, -1 last), or noSeq. Names that carry data (up) need a label
// beside the sequence number; names that only ask for a chunk (down) may be the number alone.
func plainColumns(r *Result, items []item) int {
	minLabels := 2
	if r.Direction == Down || r.inAnswers {
		minLabels = 1
	}
	for {
		switch {
		case constColumn(items, 0):
			r.note("label %q is the same in every query: a session or tag, stripped", EscapeName([][]byte{items[0].labels[0]}))
			for i := range items {
				items[i].labels = items[i].labels[1:]
			}
			continue
		case constColumn(items, -1):
			l := items[0].labels[len(items[0].labels)-1]
			r.note("label %q is the same in every query: a session or tag, stripped", EscapeName([][]byte{l}))
			for i := range items {
				items[i].labels = items[i].labels[:len(items[i].labels)-1]
			}
			continue
		}
		break
	}
	switch {
	case seqColumn(items, 0, false, minLabels):
		return 0
	case seqColumn(items, -1, false, minLabels):
		return -1
	case seqColumn(items, 0, true, minLabels):
		return 0
	case seqColumn(items, -1, true, minLabels):
		return -1
	}
	return noSeq
}

// decodePlain decodes the plain scheme: optional sequence and session labels around the data labels.
func decodePlain(r *Result, items []item, opts Options) error {
	seqPos := plainColumns(r, items)
	var chunks []chunk
	for _, it := range items {
		ls := it.labels
		c := chunk{seq: -1, ts: it.q.TS}
		if seqPos != noSeq && len(ls) >= 2 {
			i := 0
			if seqPos < 0 {
				i = len(ls) - 1
			}
			if v, ok := parseSeq(ls[i], true); ok {
				c.seq = v
				ls = slices.Delete(slices.Clone(ls), i, i+1)
			}
		}
		c.text = dataText(ls)
		c.repaired = repairText(ls)
		chunks = append(chunks, c)
	}
	r.Sequenced = seqPos != noSeq
	chunks = orderChunks(r, chunks)
	if err := decodeChunks(r, chunks, opts); err != nil || r.Decoded {
		return err
	}
	// a second try with the host-name repairs some tools need
	for i := range chunks {
		chunks[i].text = chunks[i].repaired
	}
	notes := r.Notes
	r.Notes = r.Notes[:len(r.Notes)-1]
	if err := decodeChunks(r, chunks, opts); err != nil || !r.Decoded {
		r.Notes = notes
		return err
	}
	r.note("decoded after trimming the '-' that ends labels and reading '*' as '/' (tools that keep to host-name characters)")
	return nil
}

// repairText joins a query's data labels, dropping the '-' some tools end labels with and mapping '*' (which
// some tools write for '/', not allowed in host names) back to '/'.
func repairText(ls [][]byte) string {
	var b []byte
	for _, l := range ls {
		l = bytes.TrimRight(l, "-")
		b = append(b, l...)
	}
	return strings.ReplaceAll(string(b), "*", "/")
}

// orderChunks sorts chunks by sequence (when r.Sequenced) and drops repeats: a sequence number already taken,
// or without sequence numbers the same text as one of the 8 chunks before it.
func orderChunks(r *Result, chunks []chunk) []chunk {
	var out []chunk
	if r.Sequenced {
		slices.SortStableFunc(chunks, func(a, b chunk) int { return cmpInt(a.seq, b.seq) })
		for i, c := range chunks {
			if i > 0 && c.seq == chunks[i-1].seq {
				r.Duplicates++
				continue
			}
			if len(out) > 0 && c.seq > out[len(out)-1].seq+1 {
				r.Missing += int(c.seq - out[len(out)-1].seq - 1)
			}
			out = append(out, c)
		}
		if r.Missing > 0 {
			r.note("%d sequence numbers missing between %d and %d: the data has holes", r.Missing, out[0].seq, out[len(out)-1].seq)
		}
		return out
	}
	for _, c := range chunks {
		dup := false
		for k := len(out) - 1; k >= 0 && k >= len(out)-8; k-- {
			if out[k].text == c.text {
				dup = true
				break
			}
		}
		if dup {
			r.Duplicates++
			continue
		}
		out = append(out, c)
	}
	r.note("no sequence markers: chunks taken in capture order, a repeat of one of the 8 chunks before it dropped as a retransmission")
	return out
}

// decodeChunks recognises the encoding of the chunks' text, decodes it and decompresses the result.
func decodeChunks(r *Result, chunks []chunk, opts Options) error {
	r.Chunks = len(chunks)
	var all strings.Builder
	for _, c := range chunks {
		all.WriteString(c.text)
	}
	text := all.String()
	guess := text
	if strings.Contains(strings.TrimRight(text, "="), "=") && paddedChunks(chunks) {
		// each chunk encoded on its own with its padding: guess from the characters without it (the chunks are
		// then decoded one by one below)
		guess = strings.ReplaceAll(text, "=", "")
	}
	cands, why := Guess(guess)
	if opts.Encoding != "" {
		cands, why = []Encoding{opts.Encoding}, "given"
	}
	var lastErr error
	for _, e := range cands {
		if e == Raw && opts.Encoding != Raw {
			continue // raw is no decoding: said below
		}
		var data []byte
		var err error
		perChunk := e == Base36 || e == Base58
		if !perChunk {
			data, err = DecodeString(e, text)
		}
		if perChunk || err != nil {
			// each chunk encoded on its own (padding inside the text, or a big-number encoding)
			data, err = nil, nil
			for _, c := range chunks {
				b, err2 := DecodeString(e, c.text)
				if err2 != nil {
					err = err2
					break
				}
				data = append(data, b...)
			}
		}
		if err == nil && len(data) == 0 {
			err = fmt.Errorf("%s: decodes to no bytes", e)
		}
		if err != nil {
			lastErr = err
			continue
		}
		if int64(len(data)) > opts.Limit {
			return fmt.Errorf("decode: %w", ErrTooLarge)
		}
		r.Encoding, r.Why = e, why
		if e != cands[0] {
			r.Why = fmt.Sprintf("%s did not decode (%v); %s did", cands[0], lastErr, e)
		}
		out, comp, err := Decompress(data, opts.Limit)
		if err != nil {
			return err
		}
		r.Data, r.Compression, r.Decoded = out, comp, true
		return nil
	}
	r.Encoding = Raw
	r.Data = []byte(text)
	r.note("not decoded: the text fits no encoding tried (%v); best guess: %s; the raw text is written", lastErr, why)
	return nil
}

// paddedChunks says whether every '=' of the chunks ends one (base32 or base64 padding, each chunk encoded alone).
func paddedChunks(chunks []chunk) bool {
	for _, c := range chunks {
		if strings.Contains(strings.TrimRight(c.text, "="), "=") {
			return false
		}
	}
	return true
}

// decodeDNSExfiltrator decodes DNSExfiltrator's transfer: init.<base32 "name|chunks">.<base32|base64>, then
// <chunk number>.<data labels>; the data is RC4 with the password over a zip archive of the file.
func decodeDNSExfiltrator(r *Result, items []item, opts Options) error {
	enc := Base64URL
	total := -1
	var chunks []chunk
	for _, it := range items {
		if bytes.EqualFold(it.labels[0], []byte("init")) && len(it.labels) >= 3 {
			b, err := DecodeString(Base32, string(it.labels[1]))
			if err != nil {
				continue
			}
			name, n, _ := strings.Cut(string(b), "|")
			r.FileName = name
			if v, err := strconv.Atoi(n); err == nil {
				total = v
			}
			if bytes.EqualFold(it.labels[2], []byte("base32")) {
				enc = Base32
			}
			continue
		}
		if len(it.labels) < 2 {
			continue
		}
		v, ok := parseSeq(it.labels[0], false)
		if !ok {
			continue
		}
		chunks = append(chunks, chunk{seq: v, text: dataText(it.labels[1:]), ts: it.q.TS})
	}
	r.Sequenced = true
	chunks = orderChunks(r, chunks)
	if total >= 0 && len(chunks) != total {
		r.note("init announced %d chunks, %d seen", total, len(chunks))
	}
	if err := decodeChunks(r, chunks, Options{Encoding: enc, Limit: opts.Limit}); err != nil || !r.Decoded {
		return err
	}
	r.Why = "DNSExfiltrator's init names the codec"
	if opts.Key == "" {
		r.Encrypted = true
		r.note("DNSExfiltrator encrypts with RC4 under a password (its -p option) before encoding: give the key to decrypt; the ciphertext is written")
		return nil
	}
	c, err := rc4.NewCipher([]byte(opts.Key))
	if err != nil {
		return fmt.Errorf("decode: rc4 key: %w", err)
	}
	plain := make([]byte, len(r.Data))
	c.XORKeyStream(plain, r.Data)
	name, body, err := unzipOne(plain, opts.Limit)
	if err != nil {
		r.Data = plain
		r.note("decrypted with the key, but not the zip archive DNSExfiltrator writes (%v): a wrong key?; the decrypted bytes are written", err)
		return nil
	}
	r.Data, r.Compression = body, "zip"
	if name != "" {
		r.FileName = name
	}
	return nil
}

// decodeDNSCat2 decodes dnscat2's packets (hex, optionally after a "dnscat" label): SYN names the session, MSG
// carries data at a sequence number; the client's data of each session, in sequence order.
func decodeDNSCat2(r *Result, items []item, opts Options) error {
	var pkts [][]byte
	for _, it := range items {
		ls := it.labels
		if bytes.EqualFold(ls[0], []byte("dnscat")) {
			ls = ls[1:]
		}
		b, err := DecodeString(Hex, dataText(ls))
		if err != nil || len(b) < 5 {
			continue
		}
		pkts = append(pkts, b)
	}
	return dnscat2Sessions(r, pkts, opts)
}

// dnscat2Sessions puts dnscat2's packets (in capture order) together: SYN names the session, MSG carries data at
// a sequence number; the data of each session, in sequence order.
func dnscat2Sessions(r *Result, pkts [][]byte, opts Options) error {
	type msg struct {
		seq  uint16
		data []byte
		n    int
	}
	sessions := map[uint16][]msg{}
	var order []uint16
	encrypted := false
	n := 0
	for _, b := range pkts {
		typ, sid := b[2], binary.BigEndian.Uint16(b[3:5])
		if _, ok := sessions[sid]; !ok {
			sessions[sid] = nil
			order = append(order, sid)
		}
		switch typ {
		case 0x00: // SYN: isn, options, name when option 1
			if len(b) >= 9 && binary.BigEndian.Uint16(b[7:9])&1 != 0 {
				name, _, _ := bytes.Cut(b[9:], []byte{0})
				if r.FileName == "" {
					r.FileName = string(name)
				}
			}
		case 0x01:
			if len(b) >= 9 {
				sessions[sid] = append(sessions[sid], msg{seq: binary.BigEndian.Uint16(b[5:7]), data: b[9:], n: n})
				n++
			}
		case 0x03:
			encrypted = true
		}
	}
	r.Encoding, r.Why, r.Sequenced = Hex, "dnscat2 writes its packets in hex", true
	for _, sid := range order {
		ms := sessions[sid]
		// seq numbers wrap at 16 bits: order by the capture order of first sight, dropping a repeated seq
		// a poll (a MSG without data) takes no sequence number: only data messages count
		seen := map[uint16]bool{}
		var data []byte
		nonces := 0
		for i, m := range ms {
			if i > 0 && len(m.data) >= 4 && len(ms[i-1].data) >= 4 &&
				binary.BigEndian.Uint16(m.data[2:]) == binary.BigEndian.Uint16(ms[i-1].data[2:])+1 {
				nonces++
			}
			if len(m.data) == 0 {
				continue
			}
			if seen[m.seq] {
				r.Duplicates++
				continue
			}
			seen[m.seq] = true
			r.Chunks++
			data = append(data, m.data...)
			if int64(len(r.Data)+len(data)) > opts.Limit {
				return fmt.Errorf("decode: %w", ErrTooLarge)
			}
		}
		// an encrypted session: after the clear header, a 6-byte signature then a 2-byte nonce that grows by one
		// per packet, where a clear MSG has its seq and ack
		if len(ms) >= 3 && nonces*2 >= len(ms)-1 {
			encrypted = true
		}
		if len(data) > 0 {
			r.note("session %04x: %d bytes from the %s", sid, len(data), r.Direction.sender())
		}
		r.Data = append(r.Data, data...)
	}
	r.Decoded = true
	if encrypted {
		r.Encrypted = true
		r.note("the session is encrypted (ENC packets, or a nonce growing by one after a 6-byte signature): dnscat2 encrypts with ECDH keys and Salsa20, which a capture cannot undo; the ciphertext is written")
	}
	return nil
}

// decodeDNS2TCP decodes dns2tcp's queries: base64 data labels (a '=' label is a command: auth, connect) whose
// bytes start with a 7-byte header: session (2), ack (2), sequence (2), type (1, 0x08 when data follows).
func decodeDNS2TCP(r *Result, items []item, opts Options) error {
	var pkts [][]byte
	for _, it := range items {
		var ls [][]byte
		cmd := ""
		for _, l := range it.labels {
			if len(l) > 0 && l[0] == '=' {
				cmd = string(l[1:])
				continue
			}
			ls = append(ls, l)
		}
		b, err := DecodeString(Base64, dataText(ls))
		if err != nil || len(b) < 7 {
			continue
		}
		if cmd != "" {
			if cmd == "connect" && len(b) > 7 {
				r.FileName = string(b[7:])
				r.note("the client asked for resource %q", EscapeName([][]byte{b[7:]}))
			}
			continue
		}
		pkts = append(pkts, b)
	}
	if err := dns2tcpStream(r, pkts, opts); err != nil {
		return err
	}
	r.note("the client's side of the tunnelled TCP stream; the server's side travels in the TXT answers (--direction down)")
	return nil
}

// dns2tcpStream puts dns2tcp's packets (header and data, in capture order) in sequence order per session: the
// stream of one side of each TCP connection through the tunnel, one after the other. A packet without the data
// flag (a poll, an acknowledgement) takes a sequence number too.
func dns2tcpStream(r *Result, pkts [][]byte, opts Options) error {
	// each session (a TCP connection through the tunnel) on its own, in the order they first appear
	bySession := map[uint16][]chunk{}
	var order []uint16
	var data [][]byte
	for _, b := range pkts {
		if b[6]&0x08 == 0 {
			b = b[:7]
		}
		sid := binary.BigEndian.Uint16(b)
		if _, ok := bySession[sid]; !ok {
			order = append(order, sid)
		}
		bySession[sid] = append(bySession[sid], chunk{seq: int64(binary.BigEndian.Uint16(b[4:6])), text: strconv.Itoa(len(data))})
		data = append(data, b[7:])
	}
	r.Encoding, r.Why, r.Sequenced = Base64, "dns2tcp writes base64 with a 7-byte header", true
	for _, sid := range order {
		chunks := orderChunks(r, bySession[sid])
		n := len(r.Data)
		for _, c := range chunks {
			i, _ := strconv.Atoi(c.text)
			if len(data[i]) > 0 {
				r.Chunks++
			}
			r.Data = append(r.Data, data[i]...)
			if int64(len(r.Data)) > opts.Limit {
				return fmt.Errorf("decode: %w", ErrTooLarge)
			}
		}
		if len(order) > 1 && len(r.Data) > n {
			r.note("session %04x: %d bytes from the %s", sid, len(r.Data)-n, r.Direction.sender())
		}
	}
	r.Decoded = true
	return nil
}
