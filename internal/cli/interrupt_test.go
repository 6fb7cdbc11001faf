//go:build linux

package cli

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/pcapframe/pcapframe/internal/atexit"
)

// Tests of issue 16, items 10-13: memory and interruption. The runs that need a real process (signals, peak
// memory) run the test binary as pcapframe (memoryHelper, from TestMain).

// TestMain runs the test binary as a child process (memoryHelper) when a test started it so, else the tests.
func TestMain(m *testing.M) {
	if mode := os.Getenv("PCAPFRAME_MEMORY_HELPER"); mode != "" {
		memoryHelper(mode)
	}
	os.Exit(m.Run())
}

// memoryHelper runs pcapframe's Main, or one of the crashes below, in a child process; it never returns.
func memoryHelper(mode string) {
	args := os.Args
	for i, a := range args {
		if a == "--" {
			args = args[i+1:]
			break
		}
	}
	switch mode {
	case "main":
		os.Exit(Main(args))
	case "goroutine-panic": // a panic on a goroutine no command recovers
		crashBySignal()
		go func() { panic("boom on a goroutine") }()
		time.Sleep(10 * time.Second)
	case "oom": // the Go runtime runs out of memory under an address-space limit
		crashBySignal()
		rl := syscall.Rlimit{Cur: 1 << 30, Max: 1 << 30}
		if err := syscall.Setrlimit(syscall.RLIMIT_AS, &rl); err != nil {
			fmt.Fprintln(os.Stderr, "setrlimit:", err)
			os.Exit(9)
		}
		var keep [][]byte
		for {
			keep = append(keep, make([]byte, 64<<20))
		}
	}
	os.Exit(8)
}

// pcapframe returns the command running pcapframe with args in a child process.
func pcapframe(t *testing.T, mode string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^$", "--"}, args...)...)
	cmd.Env = append(os.Environ(), "PCAPFRAME_MEMORY_HELPER="+mode)
	return cmd
}

// finished runs cmd to its end and returns its standard error, exit status and peak resident memory (bytes).
func finished(t *testing.T, cmd *exec.Cmd, timeout time.Duration) (stderr string, code int, peak int64) {
	t.Helper()
	var errBuf bytes.Buffer
	cmd.Stderr = &errBuf
	if cmd.Stdout == nil {
		cmd.Stdout = io.Discard
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return wait(t, cmd, &errBuf, timeout)
}

func wait(t *testing.T, cmd *exec.Cmd, errBuf *bytes.Buffer, timeout time.Duration) (string, int, int64) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(timeout):
		cmd.Process.Kill()
		<-done
		t.Fatalf("%v did not end within %v; stderr %q", cmd.Args[2:], timeout, errBuf.String())
	}
	st := cmd.ProcessState
	peak := st.SysUsage().(*syscall.Rusage).Maxrss << 10 // Linux: kilobytes
	code := st.ExitCode()
	if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		code = 128 + int(ws.Signal())
	}
	return errBuf.String(), code, peak
}

// writePcap writes a classic pcap (little-endian, microseconds, Ethernet) of n frames of size bytes: Ethernet,
// IPv4 and UDP headers by hand (RFC 791, RFC 768) and a payload of zeros, so that gzip shrinks it about a
// thousand times. gzipped says whether to compress it.
func writePcap(t *testing.T, path string, n, size int, gzipped bool) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	var w io.Writer = f
	var zw *gzip.Writer
	if gzipped {
		zw, _ = gzip.NewWriterLevel(f, gzip.BestCompression)
		w = zw
	}
	le := binary.LittleEndian
	hdr := make([]byte, 24)
	le.PutUint32(hdr[0:], 0xa1b2c3d4)
	le.PutUint16(hdr[4:], 2)
	le.PutUint16(hdr[6:], 4)
	le.PutUint32(hdr[16:], 262144)
	le.PutUint32(hdr[20:], 1) // LINKTYPE_ETHERNET
	w.Write(hdr)
	frame := make([]byte, size)
	copy(frame[0:], []byte{0, 0x11, 0x22, 0x33, 0x44, 0x55, 0, 0x66, 0x77, 0x88, 0x99, 0xaa, 0x08, 0x00})
	ip := frame[14:]
	ip[0], ip[8], ip[9] = 0x45, 64, 17
	binary.BigEndian.PutUint16(ip[2:], uint16(min(size-14, 65535)))
	copy(ip[12:], []byte{10, 0, 0, 1, 10, 0, 0, 2})
	udp := ip[20:]
	binary.BigEndian.PutUint16(udp[0:], 1234)
	binary.BigEndian.PutUint16(udp[2:], 5678)
	binary.BigEndian.PutUint16(udp[4:], uint16(min(size-34, 65535)))
	rec := make([]byte, 16)
	for i := range n {
		le.PutUint32(rec[0:], uint32(1_700_000_000+i))
		le.PutUint32(rec[8:], uint32(size))
		le.PutUint32(rec[12:], uint32(size))
		w.Write(rec)
		w.Write(frame)
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestSQLResultMemory runs queries whose results are far larger than the memory allowed, with DuckDB under
// --memory-limit: a gzip "bomb" (large frames of zeros: each row carries its payload raw and as hex, three
// times the frame) written to Parquet, and a wide synthetic result written as CSV to a pipe. Results stream to
// their writer, so the peak resident memory stays under 1 GB; materialised, the results alone would exceed it.
func TestSQLResultMemory(t *testing.T) {
	dir := t.TempDir()
	bomb := filepath.Join(dir, "bomb.pcap.gz")
	const frames, size = 6000, 65535 // 393 MB of frames; the result holds 3 x that
	writePcap(t, bomb, frames, size, true)
	st, err := os.Stat(bomb)
	if err != nil {
		t.Fatal(err)
	}
	const bound = 1 << 30
	tests := []struct {
		name   string
		args   []string
		result int64 // bytes of the result's values, counted by hand
	}{
		{"capture bomb to parquet", []string{"sql", bomb, "-q", "--memory-limit", "300MB", "-e", "SELECT * FROM packets", "-o", filepath.Join(dir, "all.parquet")}, frames * 3 * (size - 42)},
		{"wide rows to a pipe", []string{"sql", bomb, "-q", "--tables", "packets", "--memory-limit", "200MB", "-e", "SELECT range AS n, repeat('x', 4000) AS pad FROM range(400000)"}, 400000 * 4000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.result <= bound {
				t.Fatalf("result of %d bytes: too small to tell streaming from materialising", tt.result)
			}
			start := time.Now()
			stderr, code, peak := finished(t, pcapframe(t, "main", tt.args...), 5*time.Minute)
			if code != 0 {
				t.Fatalf("exit %d; stderr %q", code, stderr)
			}
			t.Logf("input %d bytes compressed; result %d bytes; peak RSS %d MB in %v", st.Size(), tt.result, peak>>20, time.Since(start).Round(time.Second))
			if peak > bound {
				t.Fatalf("peak RSS %d MB, over %d MB", peak>>20, bound>>20)
			}
		})
	}
}

// TestSQLInterruptHugeValue interrupts a query computing one value of a gigabyte (which DuckDB cannot stop
// inside the function): the process must exit 130 within 10 s of SIGINT.
func TestSQLInterruptHugeValue(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "tiny.pcap")
	writePcap(t, in, 1, 60, false)
	cmd := pcapframe(t, "main", "sql", in, "-q", "--memory-limit", "200MB", "-e", "SELECT length(repeat('a', 1000000000)) AS n")
	var errBuf bytes.Buffer
	cmd.Stderr, cmd.Stdout = &errBuf, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Second) // loading one frame takes a second or two: the query (half a minute) runs by then
	cmd.Process.Signal(os.Interrupt)
	start := time.Now()
	stderr, code, _ := wait(t, cmd, &errBuf, 10*time.Second)
	if code != ExitCancel {
		t.Fatalf("exit %d, want %d; stderr %q", code, ExitCancel, stderr)
	}
	t.Logf("exited %v after SIGINT; stderr %q", time.Since(start).Round(time.Millisecond), stderr)
}

// TestFIFOInterrupt reads a FIFO that no process opens for writing: SIGINT and SIGTERM must end the run (exit
// 130) within 10 s, leaving no output behind.
func TestFIFOInterrupt(t *testing.T) {
	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGTERM} {
		for _, command := range [][]string{{"convert"}, {"sql", "-e", "SELECT count(*) FROM packets"}} {
			t.Run(fmt.Sprintf("%s %v", command[0], sig), func(t *testing.T) {
				dir := t.TempDir()
				fifo := filepath.Join(dir, "fifo")
				if err := syscall.Mkfifo(fifo, 0o600); err != nil {
					t.Fatalf("mkfifo: %v", err)
				}
				out := filepath.Join(dir, "out.parquet")
				args := append([]string{command[0], fifo, "-q"}, command[1:]...)
				if command[0] == "convert" {
					args = append(args, "-o", out)
				}
				cmd := pcapframe(t, "main", args...)
				var errBuf bytes.Buffer
				cmd.Stderr, cmd.Stdout = &errBuf, io.Discard
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				waitOpen(t, cmd.Process.Pid, fifo)
				cmd.Process.Signal(sig)
				stderr, code, _ := wait(t, cmd, &errBuf, 10*time.Second)
				if code != ExitCancel {
					t.Fatalf("exit %d, want %d; stderr %q", code, ExitCancel, stderr)
				}
				if strings.Contains(stderr, forcedExitMessage) {
					t.Fatalf("the read was not cancelled: the run was ended by the forced exit; stderr %q", stderr)
				}
				// Issue 13 item 12: "interrupted" and what was kept, not Go's "context canceled".
				if !strings.Contains(stderr, "interrupted: no output was written") || strings.Contains(stderr, "context canceled") {
					t.Errorf("stderr %q", stderr)
				}
				entries, _ := os.ReadDir(dir)
				for _, e := range entries {
					if e.Name() != "fifo" {
						t.Errorf("left behind: %s", e.Name())
					}
				}
			})
		}
	}
}

// TestStdinPipeInterrupt reads standard input from a pipe whose writer never writes: SIGINT must end the run
// (exit 130) by cancelling the read, not by the forced exit.
func TestStdinPipeInterrupt(t *testing.T) {
	dir := t.TempDir()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	cmd := pcapframe(t, "main", "convert", "-", "-q", "-o", filepath.Join(dir, "out.parquet"))
	cmd.Stdin = r
	var errBuf bytes.Buffer
	cmd.Stderr, cmd.Stdout = &errBuf, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r.Close()
	time.Sleep(1500 * time.Millisecond) // convert opens no database: it reads standard input by then
	cmd.Process.Signal(os.Interrupt)
	stderr, code, _ := wait(t, cmd, &errBuf, 10*time.Second)
	if code != ExitCancel || strings.Contains(stderr, forcedExitMessage) {
		t.Fatalf("exit %d, want %d by cancellation; stderr %q", code, ExitCancel, stderr)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("left behind: %v", entries)
	}
}

// waitOpen waits until process pid has path open (so that it waits on it), for at most 60 s.
func waitOpen(t *testing.T, pid int, path string) {
	t.Helper()
	fdDir := fmt.Sprintf("/proc/%d/fd", pid)
	for range 600 {
		entries, _ := os.ReadDir(fdDir)
		for _, e := range entries {
			if target, err := os.Readlink(filepath.Join(fdDir, e.Name())); err == nil && target == path {
				time.Sleep(100 * time.Millisecond) // into the wait
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("process %d did not open %s within 60 s", pid, path)
}

// TestManyInputsWorkers converts 300 small captures with -j 256: the workers are capped (by the inputs, twice
// the CPUs and memory), so the peak resident memory stays small; each of 256 workers would hold batches of
// 2 MiB and more.
func TestManyInputsWorkers(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	if err := os.Mkdir(in, 0o700); err != nil {
		t.Fatal(err)
	}
	const inputs, framesEach = 300, 20
	for i := range inputs {
		writePcap(t, filepath.Join(in, fmt.Sprintf("%03d.pcap", i)), framesEach, 1500, false)
	}
	out := filepath.Join(dir, "out.csv")
	stderr, code, peak := finished(t, pcapframe(t, "main", "convert", in, "-q", "-j", "256", "-o", out), 5*time.Minute)
	if code != 0 {
		t.Fatalf("exit %d; stderr %q", code, stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if rows := bytes.Count(b, []byte("\n")) - 1; rows != inputs*framesEach {
		t.Fatalf("%d rows, want %d", rows, inputs*framesEach)
	}
	// Each worker may hold (inflight+2) batches of up to 2 MiB and its analysis state (pipeline.workerBytes, which
	// since this session counts the TCP analysis state): 256 uncapped workers would take gigabytes. Capped, peak RSS
	// measured 157-164 MB with the test alone and 437-492 MB within the whole suite (four runs), so the bound is
	// 600 MB, far below what an uncapped -j takes.
	const bound = 600 << 20
	t.Logf("peak RSS %d MB", peak>>20)
	if peak > bound {
		t.Fatalf("peak RSS %d MB with -j 256, over %d MB", peak>>20, bound>>20)
	}
}

// TestPanicExitStatus checks that a panic in a command is an internal error with exit status 1 and a one-line
// message (Go's runtime would exit 2, the status of usage errors), and that what cannot be recovered (a panic on
// another goroutine, the runtime out of memory) ends by SIGABRT (status 134), not 2.
func TestPanicExitStatus(t *testing.T) {
	root := &cobra.Command{Use: "pcapframe", SilenceErrors: true, SilenceUsage: true}
	root.AddCommand(&cobra.Command{Use: "boom", RunE: func(*cobra.Command, []string) error {
		var m map[string]int
		m["x"] = 1 // a nil map: a runtime panic
		return nil
	}})
	root.SetArgs([]string{"boom"})
	var errOut bytes.Buffer
	code := report(&errOut, execute(context.Background(), root))
	msg := errOut.String()
	if code != ExitError || !strings.Contains(msg, "internal error: assignment to entry in nil map") ||
		!strings.Contains(msg, "interrupt_test.go:") || strings.Count(msg, "\n") != 1 {
		t.Fatalf("exit %d, message %q; want 1 and one line naming the panic and where", code, msg)
	}
	var ie *InternalError
	if !errors.As(execute(context.Background(), root), &ie) {
		t.Fatal("the error is not an *InternalError")
	}

	for _, mode := range []string{"goroutine-panic", "oom"} {
		t.Run(mode, func(t *testing.T) {
			cmd := pcapframe(t, mode)
			cmd.Env = append(cmd.Env, "GOTRACEBACK=") // as a user who did not set it
			stderr, code, _ := finished(t, cmd, time.Minute)
			want := 128 + int(syscall.SIGABRT)
			if code != want {
				t.Fatalf("exit %d, want %d (SIGABRT); stderr %.300q", code, want, stderr)
			}
			if mode == "oom" && !strings.Contains(stderr, "out of memory") {
				t.Fatalf("stderr %.300q does not say out of memory", stderr)
			}
		})
	}
}

// TestForcedExit checks the escalation of notifyContext in this process (exitNow replaced): the first signal
// cancels the context; the forced exit (status 130, registered temporary paths removed) comes forceAfter later
// or at the second signal, and never by time alone when forceAfter is 0 (sniff).
func TestForcedExit(t *testing.T) {
	codes := make(chan int, 1)
	exitNow = func(code int) { codes <- code }
	defer func() { exitNow = os.Exit }()
	self, err := os.FindProcess(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name       string
		forceAfter time.Duration
		second     bool
	}{{"timer", 200 * time.Millisecond, false}, {"second signal", time.Hour, true}, {"no timer, second signal", 0, true}} {
		t.Run(tt.name, func(t *testing.T) {
			tmp := filepath.Join(t.TempDir(), "partial.tmp")
			if err := os.WriteFile(tmp, []byte("x"), 0o600); err != nil {
				t.Fatal(err)
			}
			unregister := atexit.Remove(tmp)
			defer unregister()
			ctx, stop := notifyContext(io.Discard, tt.forceAfter)
			defer stop()
			self.Signal(os.Interrupt)
			select {
			case <-ctx.Done():
			case <-time.After(5 * time.Second):
				t.Fatal("the first signal did not cancel the context")
			}
			if tt.second {
				select {
				case code := <-codes:
					t.Fatalf("exit %d before the second signal", code)
				case <-time.After(500 * time.Millisecond):
				}
				self.Signal(syscall.SIGTERM)
			}
			select {
			case code := <-codes:
				if code != ExitCancel {
					t.Fatalf("exit %d, want %d", code, ExitCancel)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("no forced exit")
			}
			if _, err := os.Stat(tmp); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("the registered temporary file is still there (%v)", err)
			}
		})
	}
}
