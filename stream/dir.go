package stream

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/pcapframe/pcapframe/flow"
	"github.com/pcapframe/pcapframe/packet"
	"github.com/pcapframe/pcapframe/schema"
)

// IndexRow is one row of the index Dir writes: one conversation (a flow) and the files of its two sides.
type IndexRow struct {
	Proto                    string
	Stream                   int64
	UID                      string
	Client, Server           netip.AddrPort
	ClientFile, ServerFile   string // file names inside the directory; "" when the side sent no payload
	ClientBytes, ServerBytes int64  // payload bytes written
	Gaps, GapBytes           int64  // holes in the capture, both sides
	ConflictBytes            int64  // retransmitted bytes that differed from the first copy
	TS, EndTS                int64
	// LeftOut names the sides whose bytes were not written because the cap on files (Dir.SetMaxFiles) was
	// reached: "client", "server", "both", or "" when none.
	LeftOut string
}

// IndexTable documents and writes the index of `pcapframe follow --all`.
var IndexTable = &schema.Table[IndexRow]{
	Name: "follow_index",
	Doc:  "One row per TCP or UDP conversation extracted by follow --all, in the order the conversations ended.",
	Columns: []schema.Column[IndexRow]{
		idxStr("proto", "tcp or udp.", func(r *IndexRow, b []byte) []byte { return append(b, r.Proto...) }),
		idxInt("stream", schema.Int64, "Wireshark's tcp.stream or udp.stream index.", func(r *IndexRow) int64 { return r.Stream }),
		idxStr("uid", "The flow's uid (the uid column of the flows table).", func(r *IndexRow, b []byte) []byte { return append(b, r.UID...) }),
		idxStr("client", "Originator address:port.", func(r *IndexRow, b []byte) []byte { return r.Client.AppendTo(b) }),
		idxStr("server", "Responder address:port.", func(r *IndexRow, b []byte) []byte { return r.Server.AppendTo(b) }),
		idxStr("client_file", "File of the bytes the client sent, in the output directory (empty when it sent none).", func(r *IndexRow, b []byte) []byte { return append(b, r.ClientFile...) }),
		idxStr("server_file", "File of the bytes the server sent.", func(r *IndexRow, b []byte) []byte { return append(b, r.ServerFile...) }),
		idxInt("client_bytes", schema.Int64, "Payload bytes the client sent (written to client_file).", func(r *IndexRow) int64 { return r.ClientBytes }),
		idxInt("server_bytes", schema.Int64, "Payload bytes the server sent.", func(r *IndexRow) int64 { return r.ServerBytes }),
		idxInt("gaps", schema.Int64, "Holes: runs of bytes missing from the capture (skipped in the files).", func(r *IndexRow) int64 { return r.Gaps }),
		idxInt("gap_bytes", schema.Int64, "Bytes missing from the capture.", func(r *IndexRow) int64 { return r.GapBytes }),
		idxInt("conflict_bytes", schema.Int64, "Retransmitted bytes that differed from the first copy (the first copy was kept).", func(r *IndexRow) int64 { return r.ConflictBytes }),
		idxInt("ts", schema.Timestamp, "Time of the conversation's first packet.", func(r *IndexRow) int64 { return r.TS }),
		idxInt("end_ts", schema.Timestamp, "Time of the conversation's last packet.", func(r *IndexRow) int64 { return r.EndTS }),
		idxStr("left_out", "Sides whose bytes are in no file because --max-files was reached: client, server or both; empty when none (their bytes are still counted in client_bytes and server_bytes).",
			func(r *IndexRow, b []byte) []byte { return append(b, r.LeftOut...) }),
	},
}

func idxStr(name, doc string, get func(*IndexRow, []byte) []byte) schema.Column[IndexRow] {
	return schema.Column[IndexRow]{Name: name, Type: schema.String, Doc: doc, Default: true,
		Append: func(r *IndexRow, b []byte) ([]byte, bool) { return get(r, b), true }}
}

func idxInt(name string, t schema.Type, doc string, get func(*IndexRow) int64) schema.Column[IndexRow] {
	return schema.Column[IndexRow]{Name: name, Type: t, Doc: doc, Default: true,
		Int: func(r *IndexRow) (int64, bool) { return get(r), true }}
}

// dirFlushBytes is how much of a side's data is buffered before it is appended to its file.
const dirFlushBytes = 64 << 10

// dirStream is one conversation being extracted.
type dirStream struct {
	r     reassembler
	row   IndexRow
	buf   [2][]byte
	files [2]string
	skip  [2]bool // the side's file was not created: the cap on files was reached
}

// Dir extracts every TCP and UDP conversation of a capture into files in a directory, one per side, and reports
// each conversation to an index function when it ends. File names are built only from the protocol, stream
// index, addresses and ports, with every character outside [A-Za-z0-9._-] replaced, so nothing escapes the
// directory; an existing file of the same name is replaced, and a name that exists as anything but a regular
// file is an error. Memory is bounded by the flows tracked at once (see flow.Options) times the reassembly
// buffers (Options) and a 64 KiB write buffer per side, plus the names of the files created.
//
// SetMaxFiles caps the files created: once the cap is reached, a side whose file does not exist yet is left
// out (its bytes are counted but written nowhere, and its index row says so in LeftOut). If the run fails,
// Remove deletes every file the run created, partial ones included, so that a failed extraction leaves no
// files behind; if it is interrupted, Abandon deletes only the files of the conversations still open.
type Dir struct {
	dir      string
	opts     Options
	index    func(*IndexRow) error
	tracker  *flow.Tracker
	active   map[[2]int64]*dirStream // (0 tcp / 1 udp, stream) → extraction
	created  [2][]uint64             // bitsets of streams whose files were created in this run
	names    []string                // the files created in this run, in order
	maxFiles int                     // cap on len(names); 0: none
	left     LeftOut
	openFile func(name string, flag int, perm os.FileMode) (io.WriteCloser, error) // os.OpenFile; tests fail it
	err      error
}

// LeftOut counts what the cap on files left out of the extraction.
type LeftOut struct {
	Files         int64 // sides with payload whose file was not created
	Conversations int64 // conversations with at least one such side
	Bytes         int64 // payload bytes of those sides
}

// NewDir returns an extractor into dir, which must exist. index is called with each conversation as it ends.
func NewDir(dir string, flowOpts flow.Options, opts Options, index func(*IndexRow) error) *Dir {
	d := &Dir{dir: dir, opts: opts, index: index, active: make(map[[2]int64]*dirStream),
		openFile: func(name string, flag int, perm os.FileMode) (io.WriteCloser, error) {
			return os.OpenFile(name, flag, perm)
		}}
	d.tracker = flow.NewTracker(flowOpts, d.ended)
	return d
}

// SetMaxFiles caps the files the extraction creates at n (n <= 0: no cap). Call it before the first Add.
func (d *Dir) SetMaxFiles(n int) { d.maxFiles = max(n, 0) }

// LeftOut returns what the cap on files left out so far (complete once Close has returned).
func (d *Dir) LeftOut() LeftOut { return d.left }

// Files returns the number of files created so far.
func (d *Dir) Files() int { return len(d.names) }

// Remove deletes every file this extraction created (complete or partial). Call it when the run failed, after
// Close or instead of it; the Dir must not be used afterwards. Files that are already gone are no error.
func (d *Dir) Remove() error {
	var errs []error
	for _, name := range d.names {
		if err := os.Remove(filepath.Join(d.dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("remove %q: %w", filepath.Join(d.dir, name), err))
		}
	}
	d.names = nil
	return errors.Join(errs...)
}

// Abandon removes the files of the conversations still open, whose extraction is incomplete, and forgets them,
// so that after an interrupted run the directory holds only the files of the conversations already passed to
// the index function. It returns the number of files removed. Call it instead of Close; the Dir must not be
// used afterwards. Files that are already gone are no error.
func (d *Dir) Abandon() (removed int, err error) {
	var errs []error
	for k, s := range d.active {
		for side := range 2 {
			if !d.isCreated(int(k[0]), s.row.Stream*2+int64(side)) {
				continue
			}
			path := filepath.Join(d.dir, FileName(s.row.Proto, s.row.Stream, s.row.Client, s.row.Server, Side(side)))
			if err := os.Remove(path); err == nil {
				removed++
			} else if !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, fmt.Errorf("remove %q: %w", path, err))
			}
		}
		delete(d.active, k)
	}
	return removed, errors.Join(errs...)
}

// Add takes the next frame of the capture: its packet, the packets inside its tunnels and the IP datagrams its
// fragments complete (flow.Tracker.AddFrame).
func (d *Dir) Add(p *packet.Packet) error { return d.tracker.AddFrame(p, d.add) }

// add takes one packet counted in flow f.
func (d *Dir) add(p *packet.Packet, f *flow.Flow, fromOrig bool) error {
	if f.Stream < 0 {
		return nil
	}
	pi := int64(0)
	if f.Proto == 17 {
		pi = 1
	}
	k := [2]int64{pi, f.Stream}
	s := d.active[k]
	if s == nil {
		s = &dirStream{row: IndexRow{Proto: f.ProtoName(), Stream: f.Stream, UID: f.UID(),
			Client: netip.AddrPortFrom(f.OrigH.Unmap(), f.OrigP), Server: netip.AddrPortFrom(f.RespH.Unmap(), f.RespP)}}
		emit := func(c *Chunk) error { return d.write(s, c) }
		if pi == 0 {
			s.r = NewTCP(d.opts, emit)
		} else {
			s.r = NewUDP(emit)
		}
		d.active[k] = s
	}
	side := Server
	if fromOrig {
		side = Client
	}
	return s.r.Add(p, side)
}

// ended is the tracker's emit function: it finishes the extraction of a flow.
func (d *Dir) ended(f *flow.Flow) error {
	if f.Stream < 0 {
		return nil
	}
	pi := int64(0)
	if f.Proto == 17 {
		pi = 1
	}
	k := [2]int64{pi, f.Stream}
	s := d.active[k]
	if s == nil {
		return nil
	}
	delete(d.active, k)
	if err := s.r.Close(); err != nil {
		return err
	}
	for side := range 2 {
		if err := d.flush(s, Side(side)); err != nil {
			return err
		}
	}
	st := s.r.Stats()
	s.row.ClientFile, s.row.ServerFile = s.files[0], s.files[1]
	s.row.ClientBytes, s.row.ServerBytes = st.Bytes[0], st.Bytes[1]
	s.row.Gaps = st.Gaps[0] + st.Gaps[1]
	s.row.GapBytes = st.GapBytes[0] + st.GapBytes[1]
	s.row.ConflictBytes = st.Conflicts[0] + st.Conflicts[1]
	s.row.TS, s.row.EndTS = f.TS, f.EndTS
	switch {
	case s.skip[0] && s.skip[1]:
		s.row.LeftOut = "both"
	case s.skip[0]:
		s.row.LeftOut = "client"
	case s.skip[1]:
		s.row.LeftOut = "server"
	}
	if s.skip[0] || s.skip[1] {
		d.left.Conversations++
		for side := range 2 {
			if s.skip[side] {
				d.left.Files++
				d.left.Bytes += st.Bytes[side]
			}
		}
	}
	return d.index(&s.row)
}

func (d *Dir) write(s *dirStream, c *Chunk) error {
	if len(c.Data) == 0 || s.skip[c.Side] {
		return nil
	}
	s.buf[c.Side] = append(s.buf[c.Side], c.Data...)
	if len(s.buf[c.Side]) >= dirFlushBytes {
		return d.flush(s, c.Side)
	}
	return nil
}

// flush appends a side's buffered bytes to its file, creating (or replacing) the file on its first write in
// this run.
func (d *Dir) flush(s *dirStream, side Side) error {
	b := s.buf[side]
	if len(b) == 0 {
		return nil
	}
	name := FileName(s.row.Proto, s.row.Stream, s.row.Client, s.row.Server, side)
	path := filepath.Join(d.dir, name)
	flags := os.O_WRONLY | os.O_CREATE | os.O_APPEND
	bit := s.row.Stream*2 + int64(side)
	pi := 0
	if s.row.Proto == "udp" {
		pi = 1
	}
	if !d.isCreated(pi, bit) {
		if d.maxFiles > 0 && len(d.names) >= d.maxFiles {
			s.skip[side] = true
			s.buf[side] = nil
			return nil
		}
		if fi, err := os.Lstat(path); err == nil && !fi.Mode().IsRegular() {
			return fmt.Errorf("write %q: exists and is not a regular file", path)
		} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("write %q: %w", path, err)
		}
		flags |= os.O_TRUNC
		d.setCreated(pi, bit)
		d.names = append(d.names, name) // before the file exists: Remove also takes a partial one
	}
	f, err := d.openFile(path, flags, 0o666)
	if err != nil {
		return fmt.Errorf("write %q: %w", path, err)
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %q: %w", path, err)
	}
	s.files[side] = name
	s.buf[side] = b[:0]
	return nil
}

func (d *Dir) isCreated(pi int, bit int64) bool {
	w := bit / 64
	return w < int64(len(d.created[pi])) && d.created[pi][w]&(1<<(bit%64)) != 0
}

func (d *Dir) setCreated(pi int, bit int64) {
	w := bit / 64
	for int64(len(d.created[pi])) <= w {
		d.created[pi] = append(d.created[pi], 0)
	}
	d.created[pi][w] |= 1 << (bit % 64)
}

// Close ends every conversation still open.
func (d *Dir) Close() error { return d.tracker.Close() }

// FileName is the name of the file of one side of a conversation, e.g.
// "tcp-000005_192.168.1.6-65253_192.168.1.100-7070.client". Characters outside [A-Za-z0-9._-] (the colons of
// IPv6 addresses) become '_', so the name is a plain file name on every system.
func FileName(proto string, stream int64, client, server netip.AddrPort, side Side) string {
	var b strings.Builder
	b.WriteString(proto)
	b.WriteByte('-')
	s := strconv.FormatInt(stream, 10)
	for range 6 - len(s) {
		b.WriteByte('0')
	}
	b.WriteString(s)
	for _, ap := range [2]netip.AddrPort{client, server} {
		b.WriteByte('_')
		b.WriteString(ap.Addr().String())
		b.WriteByte('-')
		b.WriteString(strconv.Itoa(int(ap.Port())))
	}
	b.WriteByte('.')
	b.WriteString(side.String())
	return sanitizeName(b.String())
}

func sanitizeName(s string) string {
	out := []byte(s)
	for i, c := range out {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			out[i] = '_'
		}
	}
	name := string(out)
	if name == "." || name == ".." || name == "" {
		return "_"
	}
	return name
}
