// Package hugepage allocates large, long-lived byte buffers that Linux may back with transparent huge pages.
//
// The Go runtime does not ask for huge pages for the heap, and most systems enable transparent huge pages only
// for memory that asks for them (/sys/kernel/mm/transparent_hugepage/enabled set to "madvise"), so every 4 KiB
// of a fresh buffer costs a page fault when first written. For the buffers that hold a packet table on its way
// to a file (batch arenas, Parquet page buffers), which are filled end to end, those faults are a tenth of the
// time of a conversion on a virtual machine, where faults are dear. Make asks for huge pages
// (madvise(MADV_HUGEPAGE)) on the 2 MiB-aligned part of a slice allocated by Go: the slice stays ordinary
// garbage-collected memory, the advice changes only how the kernel backs it, and where the kernel offers no
// huge pages (THP "never", other systems) Make is a plain make.
package hugepage
