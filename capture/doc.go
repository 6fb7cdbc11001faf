// Package capture reads packet captures: classic pcap (all variants), pcapng,
// compressed, from files, directories or stdin.
//
// It is the ground floor of pcapframe: it never panics, hangs or allocates
// without bound on hostile input, and reading a record allocates nothing in
// steady state.
//
// # Formats
//
// The format is recognised from the content (magic bytes), never from the
// file name:
//
//   - classic pcap with microsecond (a1b2c3d4) or nanosecond (a1b23c4d)
//     timestamps, in either byte order, and Kuznetzov's "modified" pcap
//     (a1b2cd34, 24-byte record headers). Versions 2.x are read; as libpcap
//     does, the caplen and len fields of versions 2.0-2.2 (and of 2.3 records
//     whose caplen exceeds len) are swapped back, and the upper 16 bits of the
//     link-type field (FCS length and flags) are masked off. Version 1.x is
//     ErrUnsupported.
//   - pcapng: several sections (each may change byte order), several
//     interfaces per section each with its own link type, snap length,
//     if_tsresol (10^-n and 2^-n) and if_tsoffset; Enhanced, Simple and the
//     obsolete Packet Blocks, with their opt_comment. Name Resolution,
//     Interface Statistics, Decryption Secrets, custom and unknown blocks are
//     skipped. A section whose major version is not 1 ends the read with
//     ErrUnsupported after the records before it.
//   - gzip and zstd compression of either, decompressed as a stream.
//
// Snoop, Network Monitor, bzip2, xz, lz4 and zip inputs are recognised and
// rejected with ErrUnsupported; anything else is ErrNotCapture.
//
// # Records and ownership
//
// [Reader.Next] returns a *Record that the Reader reuses: the Record and its
// Data are valid only until the next call to Next. Data usually points into
// the Reader's read buffer (no copy at all); copy it, for example with
// bytes.Clone, to keep it or hand it to another goroutine.
//
// Record.Frame is the 1-based frame number within the input and equals
// Wireshark's frame.number: pcapng custom and systemd journal blocks, which
// Wireshark shows as frames, are counted but not returned, so numbers may
// skip. Record.Time is in nanoseconds since the Unix epoch; sub-nanosecond
// digits are truncated. Only times from MinTime (1970-01-01) to MaxTime
// (2116-02-20, 2^62 - 1 ns) are kept, so that no difference or sum of two
// times overflows: a record whose timestamp (after if_tsresol and
// if_tsoffset) is outside that range has TimeOutOfRange and NoTime set and
// is counted in Summary.TimeOutOfRange. Simple packet blocks, which have no
// timestamp, have NoTime set. A record without a time keeps the time of the
// record before (0 for the first), so that consumers needing an order have
// one.
// Record.LinkType is the value stored in the file (for example 12 or 14 for
// raw IP on some systems is not mapped to LINKTYPE_RAW).
//
// # Offsets
//
// Record.Offset and Error.Offset are byte offsets of the record header
// (pcapng: of the block) in the capture stream. For compressed input they are
// positions in the decompressed stream, and error messages say so:
// "offset N (decompressed)".
//
// # Errors
//
// Problems in a capture are reported as *Error, whose message is one
// lowercase line naming the input, the offset and the number of frames read
// before it:
//
//	capture.pcap: offset 123456: truncated record (frame 17 header says 1514 bytes, 200 present); 16 frames read before it
//
// Use errors.Is with ErrNotCapture, ErrTruncated, ErrCorrupt and
// ErrUnsupported to classify them; Error.Truncated is set when the input ends
// early. Errors are sticky: once Next has returned an error (or io.EOF) it
// returns it again.
//
// # Limits
//
// A record larger than MaxCapLen (256 KiB, Wireshark's limit; 128 MiB for
// D-Bus and USBPcap, 8 MiB for EBHSCR), a pcapng block over MaxBlockLen
// (16 MiB), not a multiple of 4, or shorter than its type's minimum, is
// ErrCorrupt. Large records are read into a buffer that grows only as data
// arrives, so a lying length field costs no more memory than the input
// holds. zstd frames may use a window of at most 128 MiB. The interfaces and
// sections kept for [Reader.Interfaces] and [Reader.Sections] are bounded in
// number (MaxInterfaces, MaxSections) and their strings in total size.
//
// A Reader uses a 1 MiB read buffer (smaller for inputs known to be smaller)
// and, for compressed input, a second one for the decompressed stream.
package capture
