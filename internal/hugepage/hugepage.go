package hugepage

import "unsafe"

// Size is the size of a huge page on the systems where Make advises, and the alignment of what it returns.
const Size = 2 << 20

// Make returns a slice of length 0 and capacity n, like make([]T, 0, n). When the slice takes at least Size
// bytes, it starts on a Size boundary (T's size permitting) and the kernel is advised to back its whole huge
// pages with huge pages, so that writing it takes a page fault every 2 MiB rather than every 4 KiB. The advice
// helps memory that no one has written yet (a fresh part of the heap, as for buffers made early and kept); memory
// the runtime reuses is already backed by small pages. The memory is ordinary memory of the Go heap, collected
// when no longer referenced; it comes from an allocation larger by up to Size bytes, whose ends the caller never
// writes.
func Make[T any](n int) []T {
	var zero T
	size := int(unsafe.Sizeof(zero))
	if size == 0 || n > (1<<40)/size || n*size < Size {
		return make([]T, 0, n)
	}
	buf := make([]T, n+Size/size+1)
	raw := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(buf))), len(buf)*size)
	start := addr(raw)
	skip := 0
	if rem := start % Size; rem != 0 {
		skip = int((Size - rem + uintptr(size) - 1) / uintptr(size))
	}
	s := buf[skip : skip+n : skip+n]
	// The whole huge pages within s, as offsets into raw.
	lo, hi := skip*size, (skip+n)*size
	beg := int((start+uintptr(lo)+Size-1)&^(Size-1) - start)
	end := int((start+uintptr(hi))&^(Size-1) - start)
	if beg < end {
		advise(raw[beg:end])
	}
	return s[:0]
}
