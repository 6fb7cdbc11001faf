package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/pcapframe/pcapframe/internal/atexit"
)

// forceExitAfter is how long a run has to stop after an interrupt (SIGINT or SIGTERM) cancelled its context
// before it is ended regardless. Reads, the pipeline and DuckDB's queries stop well within it; what cannot be
// stopped (a single DuckDB function call computing a huge value, a read of a terminal or of another file the Go
// runtime cannot poll) is cut short by exiting. A second interrupt exits at once.
const forceExitAfter = 3 * time.Second

// forcedExitMessage is printed when the run is ended without waiting for it.
const forcedExitMessage = "interrupted; a step that cannot be cancelled (such as a DuckDB function computing one huge value) was still running: exiting without waiting for it"

// exitNow ends the process; a variable so that tests can watch it.
var exitNow = os.Exit

// finishOnInterrupt names the commands for which an interrupt is the normal way to stop, after which they finish
// their files (sniff): for them only a second signal forces the exit.
var finishOnInterrupt = map[string]bool{"sniff": true}

// notifyContext returns a context cancelled by the first SIGINT or SIGTERM. If the run has not returned
// forceAfter later (never if 0), or at a second signal, the temporary paths registered with package atexit are
// removed and the process exits with ExitCancel. stop releases the signals.
func notifyContext(errOut io.Writer, forceAfter time.Duration) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case <-sigs:
		case <-done:
			return
		}
		cancel()
		var timeout <-chan time.Time
		if forceAfter > 0 {
			t := time.NewTimer(forceAfter)
			defer t.Stop()
			timeout = t.C
		}
		select {
		case <-sigs:
		case <-timeout:
		case <-done:
			return
		}
		atexit.Run()
		fmt.Fprintln(errOut, "pcapframe: "+forcedExitMessage)
		exitNow(ExitCancel)
	}()
	var once sync.Once
	return ctx, func() {
		once.Do(func() {
			signal.Stop(sigs)
			close(done)
			cancel()
		})
	}
}

// InternalError is a panic recovered from a command: a bug, reported on one line with exit status 1.
type InternalError struct {
	Value any
	Where string // file:line where it panicked, if known
}

func (e *InternalError) Error() string {
	msg := strings.ReplaceAll(fmt.Sprint(e.Value), "\n", "; ")
	if e.Where != "" {
		return fmt.Sprintf("internal error: %s (at %s); please report it", msg, e.Where)
	}
	return fmt.Sprintf("internal error: %s; please report it", msg)
}

// recovered turns a recovered panic value into an *InternalError naming where it happened. It must be called from
// the deferred function that recovered.
func recovered(v any) *InternalError {
	e := &InternalError{Value: v}
	pcs := make([]uintptr, 32)
	n := runtime.Callers(3, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	afterPanic := false
	for {
		f, more := frames.Next()
		if afterPanic && !strings.HasPrefix(f.Function, "runtime.") {
			e.Where = fmt.Sprintf("%s:%d", shortPath(f.File), f.Line)
			break
		}
		if f.Function == "runtime.gopanic" {
			afterPanic = true
		}
		if !more {
			break
		}
	}
	return e
}

func shortPath(p string) string {
	if i := strings.Index(p, "pcapframe/"); i >= 0 {
		return p[i+len("pcapframe/"):]
	}
	return p
}

// execute runs the command tree, turning a panic on the command's goroutine into an *InternalError.
func execute(ctx context.Context, root *cobra.Command) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = recovered(v)
		}
	}()
	return root.ExecuteContext(ctx)
}

// crashBySignal makes a fatal error of the Go runtime (out of memory when the system refuses memory, as under
// `ulimit -v`; a panic on a goroutine that does not recover it) end the process with SIGABRT, as a crashing C
// program does (shell status 134), instead of the runtime's exit status 2, which pcapframe documents for usage
// errors. A GOTRACEBACK set by the user is left as it is. No core file is written unless the user asked for one
// (GOTRACEBACK set): the core size limit is lowered to 0.
func crashBySignal() {
	if os.Getenv("GOTRACEBACK") != "" {
		return
	}
	debug.SetTraceback("crash")
	noCoreFile()
}
