package hugepage

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

func addr(b []byte) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(b))) }

// advise asks for huge pages for b, which starts on a huge page boundary. An error (a kernel without
// transparent huge pages, or with them switched off) leaves ordinary pages.
func advise(b []byte) {
	_ = unix.Madvise(b, unix.MADV_HUGEPAGE)
}
