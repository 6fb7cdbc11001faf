package cli

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

// TestUsageErrorsExit2 runs the usage mistakes of every command, whoever finds them (cobra's flag parser, its
// argument and required-flag checks, or the command itself), and requires exit status 2 with the hint to run
// --help, as the README documents. Every command of the root must have a case of its own.
func TestUsageErrorsExit2(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	tests := []struct {
		name string
		args []string
		want string // substring of stderr
	}{
		{"unknown command", []string{"conver", seedPcap}, `unknown command "conver" for "pcapframe" (did you mean convert?)`},
		{"unknown command, no suggestion", []string{"xyzzy"}, `unknown command "xyzzy"`},
		{"root unknown flag", []string{"--nosuch"}, "unknown flag: --nosuch"},
		{"convert no input", []string{"convert", "-o", out + ".parquet"}, "requires at least 1 arg"},
		{"convert without -o", []string{"convert", seedPcap}, `required flag(s) "output" not set`},
		{"convert bad format", []string{"convert", seedPcap, "-o", out + ".x", "--format", "xml"}, "unknown format"},
		{"convert flag without value", []string{"convert", seedPcap, "-o"}, "flag needs an argument"},
		{"decode neither domain nor flow", []string{"decode", seedPcap}, "give --domain D"},
		{"endpoints no input", []string{"endpoints"}, "requires at least 1 arg"},
		{"flows no input", []string{"flows"}, "requires at least 1 arg"},
		{"flows bad flag value", []string{"flows", seedPcap, "--format", "xml"}, "xml"},
		{"extract without -o", []string{"extract", seedPcap}, "needs -o DIR"},
		{"extract no input", []string{"extract", "-o", out}, "requires at least 1 arg"},
		{"follow no input", []string{"follow", "--stream", "0"}, "accepts 1 arg"},
		{"follow two inputs", []string{"follow", seedPcap, seedPcap, "--stream", "0"}, "accepts 1 arg"},
		{"follow no conversation", []string{"follow", seedPcap}, "choose the conversation"},
		{"follow --stream not a number", []string{"follow", seedPcap, "--stream", "x"}, "invalid argument"},
		{"hunt no input", []string{"hunt"}, "no input"},
		{"info no input", []string{"info"}, "requires at least 1 arg"},
		{"plot without -o", []string{"plot", seedPcap, "--by", "src"}, "-o FILE.png"},
		{"plot no input", []string{"plot", "--by", "src", "-o", out + ".png"}, ""},
		{"report without -o", []string{"report", seedPcap}, "-o FILE.html"},
		{"report no input", []string{"report", "-o", out + ".html"}, ""},
		{"schema two tables", []string{"schema", "packets", "flows"}, "accepts at most 1 arg"},
		{"schema unknown table", []string{"schema", "nosuch"}, "unknown table"},
		{"show no input", []string{"show"}, "accepts 1 arg"},
		{"show frame 0", []string{"show", seedPcap, "--frame", "0"}, "--frame must be 1 or more"},
		{"show frame not a number", []string{"show", seedPcap, "--frame", "one"}, "invalid argument"},
		{"sniff no interface", []string{"sniff", "-w", out + ".pcapng"}, "no interface"},
		{"sniff nothing to write", []string{"sniff", "-i", "lo"}, "nothing to write"},
		{"sql no input", []string{"sql", "-e", "SELECT 1"}, "no input"},
		{"stats no input", []string{"stats"}, ""},
		{"stats bad section", []string{"stats", seedPcap, "--only", "nosuch"}, "unknown section"},
		{"help unknown flag", []string{"help", "--nosuch"}, "unknown flag"},
		{"completion extra argument", []string{"completion", "bash", "extra"}, `unknown command "extra"`},
	}
	for _, d := range protocolTables() { // pcapframe dns, pcapframe tls, ...: one generic command each
		tests = append(tests, struct {
			name string
			args []string
			want string
		}{d.Name() + " no input", []string{d.Name()}, "requires at least 1 arg"}, struct {
			name string
			args []string
			want string
		}{d.Name() + " bad column", []string{d.Name(), seedPcap, "--columns", "nosuch", "--format", "csv"}, "unknown column"})
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		covered[tt.args[0]] = true
		t.Run(tt.name, func(t *testing.T) {
			_, errOut, code := run(t, "", tt.args...)
			if code != ExitUsage {
				t.Fatalf("pcapframe %s: exit %d, want %d (stderr %q)", strings.Join(tt.args, " "), code, ExitUsage, errOut)
			}
			if !strings.Contains(errOut, tt.want) || !strings.Contains(errOut, "Run 'pcapframe --help' for usage.") {
				t.Errorf("stderr %q, want %q and the hint to run --help", errOut, tt.want)
			}
		})
	}
	// The protocol tables' commands (package tables) are made from one constructor: each is run without input.
	io := &IO{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}
	for _, c := range tableCommands(io) {
		name := c.Name()
		covered[name] = true
		t.Run(name+" no input", func(t *testing.T) {
			_, errOut, code := run(t, "", name)
			if code != ExitUsage || !strings.Contains(errOut, "requires at least 1 arg") {
				t.Errorf("exit %d, want %d (stderr %q)", code, ExitUsage, errOut)
			}
		})
	}
	// Every command (cobra's help and completion too) also refuses an unknown flag with exit 2.
	root := NewRoot(io)
	for _, c := range root.Commands() {
		name := c.Name()
		if !covered[name] {
			t.Errorf("command %s has no usage mistake in this table", name)
		}
		t.Run(name+" unknown flag", func(t *testing.T) {
			_, errOut, code := run(t, "", name, "--no-such-flag")
			if code != ExitUsage || !strings.Contains(errOut, "unknown flag: --no-such-flag") {
				t.Errorf("exit %d, want %d (stderr %q)", code, ExitUsage, errOut)
			}
		})
	}
}

// TestRootWithoutArguments prints the help and succeeds, as it did before the root checked its arguments.
func TestRootWithoutArguments(t *testing.T) {
	out, errOut, code := run(t, "")
	if code != ExitOK || !strings.Contains(out, "Available Commands:") || errOut != "" {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}
