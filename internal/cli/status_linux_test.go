//go:build linux

package cli

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal pair (posix_openpt, unlockpt, ptsname by hand: /dev/ptmx, TIOCSPTLCK,
// TIOCGPTN).
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open /dev/ptmx (a pseudo-terminal is needed to test what a terminal shows): %v", err)
	}
	fd := int(m.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlockpt: %v", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("ptsname: %v", err)
	}
	s, err := os.OpenFile("/dev/pts/"+itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open pts: %v", err)
	}
	return m, s
}

func itoa(n int) string { return string(appendInt(nil, n)) }

func appendInt(b []byte, n int) []byte {
	if n >= 10 {
		b = appendInt(b, n/10)
	}
	return append(b, byte('0'+n%10))
}

// runOnTerminal runs pcapframe with args in a child process whose standard error is a pseudo-terminal (or a
// pipe when terminal is false) and standard output a pipe; it returns what standard error showed.
func runOnTerminal(t *testing.T, terminal bool, args ...string) (string, int) {
	t.Helper()
	cmd := pcapframe(t, "main", args...)
	cmd.Stdout = io.Discard
	if !terminal {
		var errBuf bytes.Buffer
		cmd.Stderr = &errBuf
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		_, code, _ := wait(t, cmd, &errBuf, 120*time.Second)
		return errBuf.String(), code
	}
	master, slave := openPTY(t)
	defer master.Close()
	cmd.Stderr = slave
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close()
	var shown bytes.Buffer
	copied := make(chan struct{})
	go func() {
		io.Copy(&shown, master) // ends with EIO once the child has exited and the slave is closed
		close(copied)
	}()
	var none bytes.Buffer
	_, code, _ := wait(t, cmd, &none, 120*time.Second)
	select {
	case <-copied:
	case <-time.After(5 * time.Second):
		t.Fatal("the terminal's output did not end")
	}
	return strings.ReplaceAll(shown.String(), "\r\n", "\n"), code
}

// lastLine is the text a terminal shows last: after the last carriage return and erase-line sequence.
func lastLine(s string) string {
	s = strings.TrimRight(s, "\n")
	if i := strings.LastIndex(s, "\n"); i >= 0 {
		s = s[i+1:]
	}
	if i := strings.LastIndex(s, "\r\033[K"); i >= 0 {
		s = s[i+len("\r\033[K"):]
	}
	return s
}

// Issue 13 item 13: on a terminal, long commands show what they are doing in every phase and end with a
// one-line summary on standard error (rows, files written, time); nothing extra when standard error is not a
// terminal or with -q.
func TestTerminalSummary(t *testing.T) {
	dir := t.TempDir()
	seed := "../../testdata/pcaps/seed__find_the_image.pcap"
	tests := []struct {
		name     string
		args     []string
		terminal bool
		phase    string         // a phase line the terminal must have shown
		summary  *regexp.Regexp // the last line; nil: standard error must be empty
	}{
		{"convert", []string{"convert", seed, "-o", filepath.Join(dir, "p.parquet")}, true, "",
			regexp.MustCompile(`^pcapframe: 3,641 rows of the packet table written to .*p\.parquet \([0-9.]+ [kM]B\) in [0-9.]+ s$`)},
		{"convert quiet", []string{"convert", seed, "-o", filepath.Join(dir, "q.parquet"), "-q"}, true, "", nil},
		{"convert piped", []string{"convert", seed, "-o", filepath.Join(dir, "r.parquet")}, false, "", nil},
		{"convert --tables", []string{"convert", seed, "--tables", "packets,flows", "-o", filepath.Join(dir, "t")}, true, "", // 6 conversations: tshark finds tcp streams 0 to 5 and no UDP
			regexp.MustCompile(`^pcapframe: 2 tables written to .*t \(packets 3,641 rows, flows 6 rows\) in [0-9.]+ s$`)},
		{"flows", []string{"flows", seed, "-o", filepath.Join(dir, "f.csv")}, true, "",
			regexp.MustCompile(`^pcapframe: 6 rows of the flows table written to .*f\.csv \([0-9.]+ [kM]?B(ytes)?\) in [0-9.]+ s$`)},
		{"flows piped", []string{"flows", seed, "-o", filepath.Join(dir, "g.csv")}, false, "", nil},
		{"report", []string{"report", seed, "-o", filepath.Join(dir, "r.html")}, true, "computing the report",
			regexp.MustCompile(`^pcapframe: report of 3,641 packets written to .*r\.html \([0-9.]+ [kM]B\) in [0-9.]+ s$`)},
		{"report piped", []string{"report", seed, "-o", filepath.Join(dir, "s.html")}, false, "", nil},
		{"report quiet", []string{"report", seed, "-o", filepath.Join(dir, "u.html"), "-q"}, true, "", nil},
		{"plot", []string{"plot", seed, "--by", "dst", "-o", filepath.Join(dir, "c.svg")}, true, "computing the chart",
			regexp.MustCompile(`^pcapframe: chart written to .*c\.svg \([0-9.]+ [kM]?B(ytes)?\) in [0-9.]+ s$`)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			shown, code := runOnTerminal(t, tc.terminal, tc.args...)
			if code != 0 {
				t.Fatalf("exit %d: %q", code, shown)
			}
			if tc.summary == nil {
				if shown != "" {
					t.Errorf("standard error %q, want nothing", shown)
				}
				return
			}
			if !strings.Contains(shown, tc.phase) {
				t.Errorf("no phase %q in %q", tc.phase, shown)
			}
			if last := lastLine(shown); !tc.summary.MatchString(last) {
				t.Errorf("last line %q does not match %v (all: %q)", last, tc.summary, shown)
			}
		})
	}
}
