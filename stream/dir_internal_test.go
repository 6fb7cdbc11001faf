package stream

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"

	"github.com/pcapframe/pcapframe/flow"
	"github.com/pcapframe/pcapframe/packet"
)

// udpConversations decodes n UDP request/reply exchanges between 10.0.0.1:(40000+i) and 10.0.0.2:53, the
// request of conversation i holding size bytes of byte 'a'+i and the reply size/2 bytes of 'A'+i.
func udpConversations(n, size int) []packet.Packet {
	d := packet.NewDecoder()
	var out []packet.Packet
	c, s := netip.MustParseAddr("10.0.0.1").As4(), netip.MustParseAddr("10.0.0.2").As4()
	frame := int64(0)
	for i := range n {
		for reply := range 2 {
			src, dst, sp, dp := c, s, uint16(40000+i), uint16(53)
			data := bytes.Repeat([]byte{byte('a' + i%26)}, size)
			if reply == 1 {
				src, dst, sp, dp = s, c, dp, sp
				data = bytes.Repeat([]byte{byte('A' + i%26)}, size/2)
			}
			l4 := make([]byte, 8, 8+len(data))
			binary.BigEndian.PutUint16(l4[0:], sp)
			binary.BigEndian.PutUint16(l4[2:], dp)
			binary.BigEndian.PutUint16(l4[4:], uint16(8+len(data)))
			l4 = append(l4, data...)
			ip := make([]byte, 20)
			ip[0] = 0x45
			binary.BigEndian.PutUint16(ip[2:], uint16(20+len(l4)))
			ip[8], ip[9] = 64, 17
			copy(ip[12:], src[:])
			copy(ip[16:], dst[:])
			f := append(append([]byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0}, ip...), l4...)
			frame++
			out = append(out, packet.Packet{})
			d.Decode(&out[len(out)-1], packet.Meta{Frame: frame, Time: 1_700_000_000e9 + frame*1e6, CapLen: int32(len(f)), WireLen: int32(len(f)), LinkType: 1}, f)
		}
	}
	return out
}

// extract gives pkts to d, closes it and returns the first error.
func extract(d *Dir, pkts []packet.Packet) error {
	for i := range pkts {
		if err := d.Add(&pkts[i]); err != nil {
			return err
		}
	}
	return d.Close()
}

func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// TestDirMaxFiles: with a cap of n files, exactly n files are created, every side with payload is either in its
// file whole or named in LeftOut, and LeftOut's counts add up (issue 16: 150,001 files from one capture).
func TestDirMaxFiles(t *testing.T) {
	const convs, size = 5, 100
	for _, tc := range []struct {
		max, wantFiles int
	}{{0, 2 * convs}, {3, 3}, {1, 1}, {2 * convs, 2 * convs}, {100, 2 * convs}} {
		t.Run(fmt.Sprint(tc.max), func(t *testing.T) {
			dir := t.TempDir()
			var rows []IndexRow
			d := NewDir(dir, flow.Options{}, Options{}, func(r *IndexRow) error { rows = append(rows, *r); return nil })
			d.SetMaxFiles(tc.max)
			if err := extract(d, udpConversations(convs, size)); err != nil {
				t.Fatal(err)
			}
			if got := dirEntries(t, dir); len(got) != tc.wantFiles || d.Files() != tc.wantFiles {
				t.Fatalf("%d files on disk (%v), Files() %d; want %d", len(got), got, d.Files(), tc.wantFiles)
			}
			if len(rows) != convs {
				t.Fatalf("%d index rows, want %d", len(rows), convs)
			}
			var want LeftOut
			named := 0
			for _, r := range rows {
				i := int(r.Client.Port()) - 40000
				left := [2]bool{r.LeftOut == "client" || r.LeftOut == "both", r.LeftOut == "server" || r.LeftOut == "both"}
				if !slices.Contains([]string{"", "client", "server", "both"}, r.LeftOut) {
					t.Fatalf("left_out %q", r.LeftOut)
				}
				for side, file := range [2]string{r.ClientFile, r.ServerFile} {
					content := bytes.Repeat([]byte{byte('a' + i)}, size)
					if side == 1 {
						content = bytes.Repeat([]byte{byte('A' + i)}, size/2)
					}
					bytesSent := [2]int64{r.ClientBytes, r.ServerBytes}[side]
					if bytesSent != int64(len(content)) {
						t.Errorf("conversation %d side %d: %d bytes counted, want %d", i, side, bytesSent, len(content))
					}
					if left[side] {
						if file != "" {
							t.Errorf("conversation %d side %d left out but has file %q", i, side, file)
						}
						want.Files++
						want.Bytes += int64(len(content))
						continue
					}
					named++
					got, err := os.ReadFile(filepath.Join(dir, file))
					if err != nil || !bytes.Equal(got, content) {
						t.Errorf("conversation %d side %d: file %q holds %q (%v)", i, side, file, got, err)
					}
				}
				if left[0] || left[1] {
					want.Conversations++
				}
			}
			if named != tc.wantFiles || d.LeftOut() != want {
				t.Errorf("%d files named in the index, LeftOut %+v; want %d, %+v", named, d.LeftOut(), tc.wantFiles, want)
			}
		})
	}
}

// failingFile writes at most room bytes to the real file, then fails as a full disk does.
type failingFile struct {
	*os.File
	room int
}

func (f *failingFile) Write(b []byte) (int, error) {
	n := min(len(b), f.room)
	n, err := f.File.Write(b[:n])
	f.room -= n
	if err == nil && n < len(b) {
		err = &os.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
	}
	return n, err
}

// TestDirRemoveOnWriteFailure: when a write fails part-way (a full disk), the extraction stops with the error
// and Remove deletes every file it created, the partial one included, and nothing else.
func TestDirRemoveOnWriteFailure(t *testing.T) {
	for _, failAt := range []int{1, 4, 7} { // the failAt-th file created gets a full disk after 10 bytes
		t.Run(fmt.Sprint(failAt), func(t *testing.T) {
			dir := t.TempDir()
			keep := filepath.Join(dir, "mine.txt") // not the extraction's: Remove leaves it
			if err := os.WriteFile(keep, []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
			d := NewDir(dir, flow.Options{}, Options{}, func(*IndexRow) error { return nil })
			opened := 0
			var partial string
			d.openFile = func(name string, flag int, perm os.FileMode) (io.WriteCloser, error) {
				f, err := os.OpenFile(name, flag, perm)
				if err != nil {
					return nil, err
				}
				if flag&os.O_TRUNC != 0 {
					opened++
				}
				if opened == failAt && flag&os.O_TRUNC != 0 {
					partial = name
					return &failingFile{File: f, room: 10}, nil
				}
				return f, nil
			}
			err := extract(d, udpConversations(5, 100))
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("error %v, want ENOSPC", err)
			}
			if fi, err := os.Stat(partial); err != nil || fi.Size() != 10 {
				t.Fatalf("the partial file %q: %v (the failure was not simulated as intended)", partial, err)
			}
			if got := dirEntries(t, dir); len(got) != failAt+1 {
				t.Fatalf("before Remove: %v, want %d files and mine.txt", got, failAt)
			}
			if err := d.Remove(); err != nil {
				t.Fatal(err)
			}
			if got := dirEntries(t, dir); !slices.Equal(got, []string{"mine.txt"}) {
				t.Errorf("after Remove: %v, want only mine.txt", got)
			}
		})
	}
}
