package capture

import (
	"io"
	"slices"
)

// Summary describes a whole capture, like capinfos does.
type Summary struct {
	Source      string
	Format      Format
	Compression Compression
	FileSize    int64       // bytes of the file as stored (compressed size for compressed files)
	Interfaces  []Interface // all interfaces, all sections
	LinkTypes   []uint32    // distinct interface link types, in order of appearance
	Packets     int64
	DataBytes   int64 // sum of captured lengths
	WireBytes   int64 // sum of original lengths (capinfos' "data size")
	// First and Last are the earliest and latest packet timestamps (ns since
	// the Unix epoch; as capinfos, the extremes, not the first and last
	// records), 0 if no packet has a timestamp. Simple packet blocks have
	// none, nor have records whose timestamp is out of range (TimeOutOfRange).
	First, Last int64
	DurationNs  int64  // Last - First
	SnapLen     uint32 // largest interface snap length (0: none declared)
	// TimeOutOfRange counts the records whose timestamp is outside
	// [MinTime, MaxTime]; they count as having no timestamp.
	TimeOutOfRange int64
	// Timed counts the records with a timestamp (NoTime not set): First,
	// Last and DurationNs describe those.
	Timed int64
	Err   error // non-nil if reading stopped early; the counts cover the records before it
}

// Summarize reads the whole capture at path ("-" for standard input) and
// summarises it. If the input cannot be opened or is not a readable capture,
// it returns a nil Summary and the error. Damage after the header does not
// make Summarize fail: it returns the partial summary with Err set.
func Summarize(path string) (*Summary, error) {
	r, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return SummarizeReader(r), nil
}

// SummarizeReader reads the rest of r and summarises the capture. It does
// not close r.
func SummarizeReader(r *Reader) *Summary {
	z := NewSummarizer(r)
	for {
		x, err := r.Next()
		if err != nil {
			return z.Finish(err)
		}
		z.Add(x)
	}
}

// Summarizer summarises a capture record by record, for a reader that does
// something else with the records too (package pipeline decodes them).
type Summarizer struct {
	r        *Reader
	s        Summary
	haveTime bool
}

// NewSummarizer starts the summary of the capture that r reads.
func NewSummarizer(r *Reader) *Summarizer {
	return &Summarizer{r: r, s: Summary{Source: r.name, Format: r.format, Compression: r.compression}}
}

// Add counts x, the record that r's Next returned last.
func (z *Summarizer) Add(x *Record) {
	s := &z.s
	s.Packets++
	s.DataBytes += int64(x.CapLen)
	s.WireBytes += int64(x.WireLen)
	if x.TimeOutOfRange {
		s.TimeOutOfRange++
	}
	if x.NoTime {
		return
	}
	s.Timed++
	if !z.haveTime || x.Time < s.First {
		s.First = x.Time
	}
	if !z.haveTime || x.Time > s.Last {
		s.Last = x.Time
	}
	z.haveTime = true
}

// Finish returns the summary once r's Next has returned err (io.EOF at the
// end of the capture; any other error is kept as Summary.Err).
func (z *Summarizer) Finish(err error) *Summary {
	s := z.s
	if err != nil && err != io.EOF {
		s.Err = err
	}
	s.DurationNs = s.Last - s.First
	s.Interfaces = z.r.Interfaces()
	for _, ifc := range s.Interfaces {
		if !slices.Contains(s.LinkTypes, ifc.LinkType) {
			s.LinkTypes = append(s.LinkTypes, ifc.LinkType)
		}
		s.SnapLen = max(s.SnapLen, ifc.SnapLen)
	}
	s.FileSize = z.r.size
	if s.FileSize < 0 {
		s.FileSize = z.r.cnt.n
	}
	return &s
}
