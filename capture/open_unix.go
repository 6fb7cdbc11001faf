//go:build unix

package capture

import (
	"errors"
	"os"
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"
)

// openPollable opens path without blocking if it is a FIFO ("-": standard input, if it is a pipe, reopened
// through /proc/self/fd/0 so that the non-blocking mode is not shared with other holders of standard input). It
// returns a nil file for anything else, which Open reads. wait says whether the FIFO may have no writer yet.
func openPollable(path string) (f *os.File, wait bool, err error) {
	name := path
	if path == "-" {
		if runtime.GOOS != "linux" || !stdinIsPipe() {
			return nil, false, nil
		}
		// A new open file description of the same pipe: its O_NONBLOCK is its own.
		name = "/proc/self/fd/0"
	} else {
		st, err := os.Stat(path)
		if err != nil || st.Mode()&os.ModeNamedPipe == 0 {
			return nil, false, nil // Open reports the error, or reads the file
		}
		wait = true
	}
	fd, err := syscall.Open(name, syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		if path == "-" {
			return nil, false, nil
		}
		return nil, false, &os.PathError{Op: "open", Path: path, Err: err}
	}
	// A descriptor in non-blocking mode is registered with the runtime's poller: reads park there and Close
	// wakes them.
	return os.NewFile(uintptr(fd), path), wait, nil
}

// waitWriter waits until the FIFO f has data or a writer that has come and gone, in the runtime's poller (so
// that closing f ends the wait). A FIFO opened for reading without blocking reads as empty while no writer has
// opened it; the kernel reports it readable only once a writer wrote, or hung up.
func waitWriter(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var perr error
	err = rc.Read(func(fd uintptr) bool {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		for {
			_, perr = unix.Poll(fds, 0)
			if !errors.Is(perr, unix.EINTR) {
				break
			}
		}
		return perr != nil || fds[0].Revents != 0
	})
	if err != nil {
		return err
	}
	return perr
}
