// Package pcaptest writes small captures for tests: Ethernet frames built from gopacket layers (lengths and
// checksums computed), one a millisecond, in a pcap file.
package pcaptest

import (
	"net"
	"os"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// Writer writes a pcap file of Ethernet frames.
type Writer struct {
	t     testing.TB
	f     *os.File
	w     *pcapgo.Writer
	start time.Time
	n     int
}

// Create starts a pcap file at path whose first frame is at start.
func Create(t testing.TB, path string, start time.Time) *Writer {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := pcapgo.NewWriter(f)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	return &Writer{t: t, f: f, w: w, start: start}
}

// Frame writes one IPv4 Ethernet frame made of ls (the layers above Ethernet), a millisecond after the previous.
func (w *Writer) Frame(ls ...gopacket.SerializableLayer) {
	w.t.Helper()
	buf := gopacket.NewSerializeBuffer()
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, append([]gopacket.SerializableLayer{eth}, ls...)...); err != nil {
		w.t.Fatal(err)
	}
	ci := gopacket.CaptureInfo{Timestamp: w.start.Add(time.Duration(w.n) * time.Millisecond), CaptureLength: len(buf.Bytes()), Length: len(buf.Bytes())}
	w.n++
	if err := w.w.WritePacket(ci, buf.Bytes()); err != nil {
		w.t.Fatal(err)
	}
}

// Close ends the file.
func (w *Writer) Close() {
	w.t.Helper()
	if err := w.f.Close(); err != nil {
		w.t.Fatal(err)
	}
}
