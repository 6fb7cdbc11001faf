// Package pcapframe turns packet captures into data-science tables. It is the Go API of the pcapframe command:
// Packets iterates over the decoded frames of one or many captures, one packet-table row at a time.
//
// For batch processing on all cores see package pipeline; the columns of the packet table are defined in
// packet.Table; reading capture files is package capture; writing tables (Parquet, CSV, JSON Lines) is package
// sink; a live capture into a file and tables is package live/sniff.
package pcapframe

import (
	"errors"
	"io"
	"iter"

	"github.com/pcapframe/pcapframe/capture"
	"github.com/pcapframe/pcapframe/packet"
	"github.com/pcapframe/pcapframe/pipeline"
	"github.com/pcapframe/pcapframe/tcpanalysis"
)

// Packets returns an iterator over the decoded frames of the inputs (capture files, directories, or "-" for
// standard input), in input order and frame order. The *packet.Packet is reused: it and the bytes it refers to
// are valid only until the next iteration; call Clone to keep one.
//
// A problem with an input is yielded as an error (with a nil packet), after the frames read before it; the
// iteration then goes on with the next input unless the loop breaks.
//
// The analyses across frames run as in `convert`: Wireshark's TCP analysis flags and duplicate frames
// (package tcpanalysis), each input its own capture. The packet table's reassembled_in is not set here (it needs
// the frames after a fragment).
func Packets(inputs ...string) iter.Seq2[*packet.Packet, error] {
	return func(yield func(*packet.Packet, error) bool) {
		paths, err := capture.Expand(inputs)
		if err != nil {
			yield(nil, err)
			return
		}
		dec := packet.NewDecoder()
		var p packet.Packet
		for _, path := range paths {
			r, err := capture.Open(path)
			if err != nil {
				if !yield(nil, err) {
					return
				}
				continue
			}
			an := tcpanalysis.NewAnalyzer(tcpanalysis.Options{})
			for {
				rec, err := r.Next()
				if err != nil {
					r.Close()
					if errors.Is(err, io.EOF) {
						break
					}
					if !yield(nil, err) {
						return
					}
					break
				}
				dec.Decode(&p, pipeline.Meta(rec), rec.Data)
				an.Packet(&p)
				if !yield(&p, nil) {
					r.Close()
					return
				}
				an.Dups.Forget() // the reader reuses the frame's bytes

			}
		}
	}
}
