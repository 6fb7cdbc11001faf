package cli

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gabriel-vasile/mimetype"
	"github.com/spf13/cobra"

	"github.com/pcapframe/pcapframe/analyzer/files"
	"github.com/pcapframe/pcapframe/tables"
)

// Defaults of extract's caps.
const (
	DefaultExtractFileBytes  = 1 << 30 // bytes written per file
	DefaultExtractTotalBytes = 8 << 30 // bytes written in all
	DefaultExtractFiles      = 10000   // files written
	maxOpenSpools            = 256     // temporary files open at once (objects being read at the same time)
	maxNameBytes             = 200     // bytes of a written name
)

// ExtractOptions are the flags of extract.
type ExtractOptions struct {
	Output   string
	Types    []string
	MaxFile  int64
	MaxTotal int64
	MaxFiles int
	Workers  int
	Quiet    bool
}

// NewCmdExtract builds `pcapframe extract`.
func NewCmdExtract(io *IO) *cobra.Command {
	o := &ExtractOptions{}
	cmd := &cobra.Command{
		Use:   "extract INPUT... -o DIR [--type image/,application/pdf,...]",
		Short: "Write out the files the captures carry (HTTP bodies and uploads, ...), with an index tying them to the files table",
		Long: `Write out the objects of the files table (see 'pcapframe files'): HTTP bodies of both directions, after their
chunked and content (gzip, deflate, br) codings are removed, each part of a multipart/form-data upload
separately. The HTTP objects are the bytes 'tshark --export-objects http' writes.

Each object is spooled to a temporary file in DIR as it is read (not held in memory), then renamed once it ends.
Names come from the protocol's file name when it gives one, else the object's fuid and an extension for its
detected MIME type; they are sanitised: the last path element only (no '/', '\' or '..'), characters other than
letters, digits and ". _-+=@,()[]" replaced by '_', no leading dot, at most 200 bytes, Windows' reserved
names (CON, NUL, COM1, ...) and index.csv prefixed with '_'. A file is never overwritten: a name that exists
gets " (1)", " (2)", ... before its extension. Empty objects are not written.

DIR/index.csv has one row per file written: fuid (joins files.fuid), uid (joins flows.uid), source, direction,
the filename as the protocol gave it (escaped: unsafe characters as \xHH), the name written, the bytes written,
the object's sha256 (of every byte seen: equal to the file's unless the file was cut), mime_type, complete (the
object was seen whole), cut (the file stopped at a cap) and note.

--type keeps the objects whose detected MIME type starts with one of the given prefixes (image/, application/pdf).
Caps: --max-file-bytes per file (1 GiB), --max-total-bytes in all (8 GiB), --max-files (10,000): what is past a cap
is not written, and index.csv says so (cut, or the files left out are counted on standard error).`,
		Example: `  pcapframe extract capture.pcap -o objects/
  pcapframe extract captures/ -o images/ --type image/
  pcapframe files capture.pcap --columns fuid,filename,mime_type,sha256   # the rows the files come from`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runExtract(cmd, io, o, args)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.Output, "output", "o", "", "directory to write the files and index.csv into (created if needed)")
	f.StringSliceVar(&o.Types, "type", nil, "MIME type prefixes to keep, comma-separated (default: every object)")
	f.Int64Var(&o.MaxFile, "max-file-bytes", DefaultExtractFileBytes, "bytes written per file at most (the rest is cut)")
	f.Int64Var(&o.MaxTotal, "max-total-bytes", DefaultExtractTotalBytes, "bytes written in all at most")
	f.IntVar(&o.MaxFiles, "max-files", DefaultExtractFiles, "files written at most")
	f.IntVarP(&o.Workers, "workers", "j", 0, "inputs decoded in parallel (default: number of CPUs)")
	f.BoolVarP(&o.Quiet, "quiet", "q", false, "no progress on standard error")
	return cmd
}

func runExtract(cmd *cobra.Command, io *IO, o *ExtractOptions, args []string) error {
	if o.Output == "" {
		return usagef("extract needs -o DIR")
	}
	if o.MaxFile <= 0 || o.MaxTotal <= 0 || o.MaxFiles <= 0 {
		return usagef("--max-file-bytes, --max-total-bytes and --max-files must be positive")
	}
	inputs, err := expandInputs(io, args, "")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(o.Output, 0o755); err != nil {
		return fmt.Errorf("create %q: %w", o.Output, err)
	}
	x, err := newExtractor(o)
	if err != nil {
		return err
	}
	def := tables.Analyzer(files.Table, func(emit func(*files.Row) error) *files.Analyzer {
		return files.NewWithOptions(func(r *files.Row) error {
			if err := x.finish(r); err != nil {
				return stop(err)
			}
			return emit(r)
		}, files.Options{Open: x.open})
	})
	runErr := runTables(cmd.Context(), io, inputs, []tables.Output{{Def: def, Writer: discardRows{}}}, o.Workers, o.Quiet, tables.Options{})
	closeErr := x.close()
	if x.leftOut > 0 {
		fmt.Fprintf(io.ErrOut, "extract: %d object(s) not written (a cap was reached: --max-files, --max-total-bytes, or %d objects open at once)\n", x.leftOut, maxOpenSpools)
	}
	if runErr != nil {
		if errors.Is(runErr, errStopped) || isFatalInput(runErr) {
			return runErr
		}
		return &DamagedError{runErr}
	}
	return closeErr
}

// discardRows is the files table's writer in extract: the rows are used by the extractor, not written.
type discardRows struct{}

func (discardRows) Write(any) error { return nil }
func (discardRows) Close() error    { return nil }
func (discardRows) Abort() error    { return nil }

// extractor spools objects to temporary files in the output directory and names them when their rows come.
type extractor struct {
	o       *ExtractOptions
	dir     string
	spools  map[string]*spool
	total   int64 // bytes written in all
	written int   // files written
	leftOut int
	index   *os.File
	csv     *csv.Writer
	err     error
}

// spool is one object's temporary file.
type spool struct {
	x   *extractor
	f   *os.File
	n   int64
	cut bool
	err error
}

func newExtractor(o *ExtractOptions) (*extractor, error) {
	x := &extractor{o: o, dir: o.Output, spools: map[string]*spool{}}
	f, err := os.OpenFile(filepath.Join(o.Output, "index.csv"), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, fmt.Errorf("create index: %w (extract never overwrites: choose an empty directory)", err)
	}
	x.index = f
	x.csv = csv.NewWriter(f)
	x.csv.Write([]string{"fuid", "uid", "source", "direction", "filename", "written", "bytes", "sha256", "mime_type", "complete", "cut", "note"})
	return x, nil
}

// open starts the spool of an object (files.Options.Open).
func (x *extractor) open(fuid string) files.Spool {
	if len(x.spools) >= maxOpenSpools || x.written >= x.o.MaxFiles || x.total >= x.o.MaxTotal {
		return nil
	}
	f, err := os.CreateTemp(x.dir, ".extract-*.part")
	if err != nil {
		if x.err == nil {
			x.err = fmt.Errorf("create a temporary file in %q: %w", x.dir, err)
		}
		return nil
	}
	s := &spool{x: x, f: f}
	x.spools[fuid] = s
	return s
}

// Write writes the object's bytes up to the caps.
func (s *spool) Write(b []byte) {
	if s.err != nil || s.cut {
		return
	}
	room := min(s.x.o.MaxFile-s.n, s.x.o.MaxTotal-s.x.total)
	if int64(len(b)) > room {
		b = b[:max(room, 0)]
		s.cut = true
	}
	n, err := s.f.Write(b)
	s.n += int64(n)
	s.x.total += int64(n)
	s.err = err
}

// finish names the file of a row's object (or removes it) and writes its index line.
func (x *extractor) finish(r *files.Row) error {
	s := x.spools[r.FUID]
	if s == nil {
		if r.SeenBytes > 0 && x.wanted(r) {
			x.leftOut++
		}
		return x.err
	}
	delete(x.spools, r.FUID)
	tmp := s.f.Name()
	err := s.f.Close()
	if s.err != nil {
		err = s.err
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %q: %w", tmp, err)
	}
	if r.SeenBytes == 0 || !x.wanted(r) {
		return os.Remove(tmp)
	}
	if x.written >= x.o.MaxFiles {
		x.leftOut++
		return os.Remove(tmp)
	}
	name, err := x.place(tmp, r)
	if err != nil {
		os.Remove(tmp)
		return err
	}
	x.written++
	note := r.Note
	if s.cut {
		note = strings.TrimPrefix(note+"; file cut at a cap (--max-file-bytes or --max-total-bytes)", "; ")
	}
	x.csv.Write([]string{r.FUID, r.UID, r.Source, dirName(r.FromOrig), r.Filename, name, strconv.FormatInt(s.n, 10), r.SHA256,
		r.MIMEType, strconv.FormatBool(r.Complete), strconv.FormatBool(s.cut), note})
	x.csv.Flush()
	return x.csv.Error()
}

func dirName(fromOrig bool) string {
	if fromOrig {
		return "orig"
	}
	return "resp"
}

// wanted applies --type.
func (x *extractor) wanted(r *files.Row) bool {
	if len(x.o.Types) == 0 {
		return true
	}
	for _, t := range x.o.Types {
		if t = strings.TrimSpace(t); t != "" && strings.HasPrefix(r.MIMEType, strings.ToLower(t)) {
			return true
		}
	}
	return false
}

// place gives the temporary file its final name: a hard link under a name that does not exist yet (never
// overwriting), then the temporary name removed.
func (x *extractor) place(tmp string, r *files.Row) (string, error) {
	base := SafeFileName(r.Filename)
	if base == "" {
		base = r.FUID + extension(r.MIMEType)
	}
	stem, ext := splitExt(base)
	for i := 0; i < 10000; i++ {
		name := base
		if i > 0 {
			name = stem + " (" + strconv.Itoa(i) + ")" + ext
		}
		err := os.Link(tmp, filepath.Join(x.dir, name))
		if err == nil {
			return name, os.Remove(tmp)
		}
		if !errors.Is(err, fs.ErrExist) {
			// a file system without hard links: an exclusive create and a copy by rename is not atomic, so
			// rename only when the name is free
			if _, serr := os.Lstat(filepath.Join(x.dir, name)); errors.Is(serr, fs.ErrNotExist) {
				if rerr := os.Rename(tmp, filepath.Join(x.dir, name)); rerr == nil {
					return name, nil
				}
			}
			return "", fmt.Errorf("name %q: %w", name, err)
		}
	}
	return "", fmt.Errorf("no free name for %q", base)
}

// close removes the temporary files left (objects that never ended) and closes the index.
func (x *extractor) close() error {
	for fuid, s := range x.spools {
		s.f.Close()
		os.Remove(s.f.Name())
		delete(x.spools, fuid)
	}
	x.csv.Flush()
	err := x.csv.Error()
	if cerr := x.index.Close(); err == nil {
		err = cerr
	}
	if x.err != nil {
		return x.err
	}
	return err
}

// extension returns the usual extension of a MIME type (".jpg"), or "".
func extension(mime string) string {
	if mime == "" {
		return ""
	}
	if m := mimetype.Lookup(mime); m != nil {
		return m.Extension()
	}
	return ""
}

func splitExt(name string) (string, string) {
	ext := filepath.Ext(name)
	if ext == name || len(ext) > 16 {
		return name, ""
	}
	return strings.TrimSuffix(name, ext), ext
}

// reservedNames are names Windows reserves (with any extension), and extract's own index.
var reservedNames = map[string]bool{"CON": true, "PRN": true, "AUX": true, "NUL": true, "CONIN$": true, "CONOUT$": true,
	"COM1": true, "COM2": true, "COM3": true, "COM4": true, "COM5": true, "COM6": true, "COM7": true, "COM8": true, "COM9": true,
	"LPT1": true, "LPT2": true, "LPT3": true, "LPT4": true, "LPT5": true, "LPT6": true, "LPT7": true, "LPT8": true, "LPT9": true}

// SafeFileName turns a file name from a capture (escaped: \xHH for unsafe bytes) into a name safe to create in
// a directory: its last path element (after '/' or '\'), letters, digits and ". _-+=@,()[]" kept and every other
// character written '_', no leading dot or space, no trailing dot or space, at most 200 bytes (cut at a
// character boundary, the extension kept), Windows' reserved device names and "index.csv" prefixed with '_'.
// It returns "" when nothing is left.
func SafeFileName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		// an escaped name holds "\xHH": a backslash followed by x and two hex digits is an escape, not a separator
		name = lastElement(name)
	}
	var b strings.Builder
	for _, r := range name {
		switch {
		case r == utf8.RuneError:
			b.WriteByte('_')
		case unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune(". _-+=@,()[]", r):
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	s := strings.Trim(b.String(), ". ")
	if s == "" {
		return ""
	}
	if len(s) > maxNameBytes {
		stem, ext := splitExt(s)
		if len(ext) > 16 {
			ext = ""
		}
		stem = stem[:maxNameBytes-len(ext)]
		for !utf8.ValidString(stem) {
			stem = stem[:len(stem)-1]
		}
		s = stem + ext
	}
	stem, _ := splitExt(s)
	if reservedNames[strings.ToUpper(strings.TrimRight(stem, " "))] || strings.EqualFold(s, "index.csv") {
		s = "_" + s
	}
	return s
}

// lastElement returns what follows the last '/' or the last '\' that is not the start of an \xHH escape.
func lastElement(name string) string {
	cut := -1
	for i := 0; i < len(name); i++ {
		switch name[i] {
		case '/':
			cut = i
		case '\\':
			if i+3 < len(name) && name[i+1] == 'x' && isHex(name[i+2]) && isHex(name[i+3]) {
				i += 3
				continue
			}
			cut = i
		}
	}
	return name[cut+1:]
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }
