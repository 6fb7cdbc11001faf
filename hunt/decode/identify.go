package decode

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/gabriel-vasile/mimetype"
)

// MaxOutput bounds the bytes one decoding produces (decoded or decompressed): a capture is hostile input, and a
// small compressed stream can expand a thousandfold.
const MaxOutput = 256 << 20

// ErrTooLarge is returned when a result would exceed MaxOutput.
var ErrTooLarge = errors.New("result larger than MaxOutput")

// Decompress returns b decompressed when it is a gzip, zlib or raw deflate stream, with the format's name; else
// b itself and "". Only a stream that decompresses to its end is taken; its output is capped at limit bytes (0:
// MaxOutput), beyond which ErrTooLarge is returned.
func Decompress(b []byte, limit int64) ([]byte, string, error) {
	if limit <= 0 {
		limit = MaxOutput
	}
	try := func(r io.Reader, err error) ([]byte, bool, error) {
		if err != nil {
			return nil, false, nil
		}
		out, err := io.ReadAll(io.LimitReader(r, limit+1))
		if int64(len(out)) > limit {
			return nil, false, fmt.Errorf("decompress: %w", ErrTooLarge)
		}
		return out, err == nil, nil
	}
	if len(b) >= 18 && b[0] == 0x1f && b[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if zr != nil {
			zr.Multistream(false)
		}
		out, ok, err := try(zr, err)
		if err != nil || ok {
			return out, "gzip", err
		}
	}
	// zlib: CMF 0x78 (deflate, 32 KiB window) or another window size, and the header's check bits (RFC 1950)
	if len(b) >= 6 && b[0]&0x0f == 8 && b[0]>>4 <= 7 && (uint16(b[0])<<8|uint16(b[1]))%31 == 0 {
		out, ok, err := try(zlib.NewReader(bytes.NewReader(b)))
		if err != nil || ok {
			return out, "zlib", err
		}
	}
	// raw deflate has no signature: take it only when it decodes to its last block and that block ends within
	// the last byte (bytes.Reader is an io.ByteReader, so flate reads no further than the stream)
	if len(b) >= 4 {
		br := bytes.NewReader(b)
		out, ok, err := try(flate.NewReader(br), nil)
		if err != nil {
			return nil, "", err
		}
		if ok && br.Len() == 0 && len(out) > 0 {
			return out, "deflate", nil
		}
	}
	return b, "", nil
}

// Entropy is the Shannon entropy of b in bits per byte (0-8).
func Entropy(b []byte) float64 {
	if len(b) == 0 {
		return 0
	}
	var n [256]int
	for _, c := range b {
		n[c]++
	}
	h := 0.0
	for _, k := range n {
		if k > 0 {
			p := float64(k) / float64(len(b))
			h -= p * math.Log2(p)
		}
	}
	return h
}

// Identity says what a decoded result is.
type Identity struct {
	MIME      string  // e.g. image/jpeg; application/octet-stream when unknown
	Extension string  // e.g. .jpg; empty when unknown
	Entropy   float64 // bits per byte
	// Guess says in words what the bytes likely are when the type is unknown (encrypted or compressed data,
	// text, ...).
	Guess string
}

// Identify returns the MIME type (github.com/gabriel-vasile/mimetype, from the first bytes) and entropy of b.
func Identify(b []byte) Identity {
	m := mimetype.Detect(b)
	id := Identity{MIME: m.String(), Extension: m.Extension(), Entropy: Entropy(b)}
	if m.Is("application/octet-stream") {
		switch {
		case len(b) == 0:
			id.Guess = "empty"
		case id.Entropy >= 7.5 && len(b) >= 1024:
			id.Guess = fmt.Sprintf("no known signature and %.2f bits/byte of entropy: encrypted, or compressed without a header", id.Entropy)
		case id.Entropy >= 7.5:
			id.Guess = fmt.Sprintf("no known signature, %.2f bits/byte (too short to tell random from structured)", id.Entropy)
		default:
			id.Guess = fmt.Sprintf("no known signature, %.2f bits/byte: a binary protocol or a format without magic bytes", id.Entropy)
		}
	}
	return id
}

// Carved is a file found inside a byte stream by its magic bytes.
type Carved struct {
	Offset int64
	Identity
}

// magics are the signatures Carve looks for inside a stream (mimetype then checks each hit).
var magics = [][]byte{
	{0xff, 0xd8, 0xff},                // JPEG
	{0x89, 'P', 'N', 'G', 0x0d, 0x0a}, // PNG
	[]byte("GIF8"),                    // GIF
	[]byte("%PDF-"),                   // PDF
	{'P', 'K', 3, 4},                  // zip, docx, jar, apk
	{0x1f, 0x8b, 8},                   // gzip
	[]byte("7z\xbc\xaf\x27\x1c"),      // 7z
	[]byte("Rar!\x1a\x07"),            // rar
	{0x7f, 'E', 'L', 'F'},             // ELF
	[]byte("BZh"),                     // bzip2
	{0xfd, '7', 'z', 'X', 'Z', 0},     // xz
	[]byte("ID3"),                     // mp3
	[]byte("OggS"),                    // ogg
	[]byte("RIFF"),                    // wav, avi, webp
	{0xd4, 0xc3, 0xb2, 0xa1},          // pcap
	{0x0a, 0x0d, 0x0d, 0x0a},          // pcapng
}

// carveWindow is how many bytes from a signature Carve reads to identify the file (its MIME type and entropy).
const carveWindow = 64 << 10

// MaxCarved bounds the files Carve reports.
const MaxCarved = 64

// Carve returns the files that start inside b, found by their magic bytes and confirmed by their MIME type, in
// order of offset (at most MaxCarved).
func Carve(b []byte) []Carved {
	var out []Carved
	for off := 0; off < len(b) && len(out) < MaxCarved; off++ {
		for _, m := range magics {
			if b[off] != m[0] || !bytes.HasPrefix(b[off:], m) {
				continue
			}
			m := mimetype.Detect(b[off:min(len(b), off+carveWindow)])
			if m.Is("application/octet-stream") || m.Is("text/plain") {
				continue
			}
			id := Identity{MIME: m.String(), Extension: m.Extension(), Entropy: Entropy(b[off:min(len(b), off+carveWindow)])}
			out = append(out, Carved{Offset: int64(off), Identity: id})
			break
		}
	}
	return out
}
