package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

const followGolden = "../../testdata/golden/follow/"

func TestFollowCommand(t *testing.T) {
	t.Run("chat reads as tshark shows it", func(t *testing.T) {
		want, err := os.ReadFile(followGolden + "seed__find_the_image.pcap.1.ascii")
		if err != nil {
			t.Fatal(err)
		}
		out, errOut, code := run(t, "", "follow", flowsSeed, "--stream", "1")
		if code != 0 || out != string(want) {
			t.Errorf("exit %d %s\ngot:\n%s\nwant:\n%s", code, errOut, out, want)
		}
		// The same conversation by its endpoints, written either way round.
		out2, _, _ := run(t, "", "follow", flowsSeed, "--flow", "192.168.1.100:5050-192.168.1.6:65199")
		if out2 != out {
			t.Errorf("--flow output differs from --stream")
		}
	})
	t.Run("raw transfer equals tshark byte for byte", func(t *testing.T) {
		golden, err := os.ReadFile(followGolden + "seed__find_the_image.pcap.5.raw")
		if err != nil {
			t.Fatal(err)
		}
		var want []byte
		for _, l := range strings.Split(string(golden), "\n") {
			if l == "" || strings.HasPrefix(l, "\t") || strings.Contains(l, ":") || strings.HasPrefix(l, "=") {
				continue
			}
			b, err := hex.DecodeString(l)
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, b...)
		}
		path := filepath.Join(t.TempDir(), "transfer.bin")
		if _, errOut, code := run(t, "", "follow", flowsSeed, "--stream", "5", "--format", "raw", "--side", "client", "-o", path); code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		got, _ := os.ReadFile(path)
		if len(want) != 117382 || !bytes.Equal(got, want) {
			t.Errorf("got %d bytes, tshark %d", len(got), len(want))
		}
	})
	t.Run("json", func(t *testing.T) {
		out, _, code := run(t, "", "follow", flowsSeed, "--stream", "1", "--format", "json")
		var doc struct {
			Proto  string
			Stream int
			Chunks []struct {
				Side  string
				Frame int
				Data  []byte
			}
			Stats map[string]struct{ Bytes int64 }
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil || code != 0 {
			t.Fatalf("exit %d: %v\n%s", code, err, out)
		}
		if doc.Proto != "tcp" || doc.Stream != 1 || len(doc.Chunks) != 11 || string(doc.Chunks[0].Data) != "Hey bro\n" || doc.Chunks[0].Frame != 10 || doc.Stats["client"].Bytes != 135 {
			t.Errorf("%+v", doc)
		}
	})
	t.Run("errors", func(t *testing.T) {
		_, errOut, code := run(t, "", "follow", flowsSeed, "--stream", "99")
		if code != ExitError || !strings.Contains(errOut, "no tcp stream 99") || !strings.Contains(errOut, "tcp streams 0 to 5") || !strings.Contains(errOut, "pcapframe flows") {
			t.Errorf("exit %d: %s", code, errOut)
		}
		_, errOut, code = run(t, "", "follow", flowsSeed, "--flow", "1.2.3.4:1-5.6.7.8:2")
		if code != ExitError || !strings.Contains(errOut, "no conversation between 1.2.3.4:1 and 5.6.7.8:2") {
			t.Errorf("exit %d: %s", code, errOut)
		}
		for _, args := range [][]string{
			{"follow", flowsSeed},
			{"follow", flowsSeed, "--stream", "1", "--flow", "1.2.3.4:1-5.6.7.8:2"},
			{"follow", flowsSeed, "--flow", "nonsense"},
			{"follow", flowsSeed, "--stream", "1", "--format", "raw"},
			{"follow", flowsSeed, "--stream", "1", "--format", "xml"},
			{"follow", flowsSeed, "--stream", "1", "--side", "left"},
			{"follow", flowsSeed, "--all"},
		} {
			if _, errOut, code := run(t, "", args...); code != ExitUsage {
				t.Errorf("%v: exit %d: %s", args, code, errOut)
			}
		}
		// Raw bytes are never written to a terminal.
		var out, eo bytes.Buffer
		io := &IO{In: strings.NewReader(""), Out: &out, ErrOut: &eo, OutIsTerminal: true}
		root := NewRoot(io)
		root.SetArgs([]string{"follow", flowsSeed, "--stream", "5", "--format", "raw", "--side", "client"})
		if code := report(&eo, root.Execute()); code != ExitUsage || out.Len() != 0 {
			t.Errorf("raw to a terminal: exit %d, %d bytes written", code, out.Len())
		}
	})
	t.Run("all", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "streams")
		if _, errOut, code := run(t, "", "follow", flowsSeed, "--all", "-o", dir); code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		f, err := os.Open(filepath.Join(dir, "index.csv"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rows, err := csv.NewReader(f).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 7 {
			t.Fatalf("%d index rows", len(rows)-1)
		}
		for _, r := range rows[1:] {
			if r[1] != "5" {
				continue
			}
			b, err := os.ReadFile(filepath.Join(dir, r[5]))
			if err != nil || len(b) != 117382 || r[7] != "117382" || r[6] != "" {
				t.Errorf("stream 5: %v, %d bytes, row %v", err, len(b), r)
			}
		}
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.ContainsAny(e.Name(), "/\\:") || !e.Type().IsRegular() {
				t.Errorf("bad file %q", e.Name())
			}
		}
	})
	t.Run("all refuses to write through a symlink", func(t *testing.T) {
		dir := t.TempDir()
		outside := filepath.Join(t.TempDir(), "victim")
		os.WriteFile(outside, []byte("keep"), 0o666)
		name := "tcp-000001_192.168.1.6-65199_192.168.1.100-5050.client"
		if err := os.Symlink(outside, filepath.Join(dir, name)); err != nil {
			t.Fatalf("symlink: %v", err)
		}
		_, _, code := run(t, "", "follow", flowsSeed, "--all", "-o", dir)
		if b, _ := os.ReadFile(outside); string(b) != "keep" || code == 0 {
			t.Errorf("exit %d, victim now %q", code, b)
		}
	})
}

// interruptingReader yields a capture's bytes, then waits (so that the full batches are consumed), cancels the
// run's context and fails the read with context.Canceled, as a Ctrl-C in the middle of the input does.
type interruptingReader struct {
	data   []byte
	wait   time.Duration
	cancel context.CancelFunc
}

func (r *interruptingReader) Read(p []byte) (int, error) {
	if len(r.data) > 0 {
		n := copy(p, r.data)
		r.data = r.data[n:]
		return n, nil
	}
	time.Sleep(r.wait)
	r.cancel()
	return 0, context.Canceled
}

// An interrupted follow --all keeps index.csv of the conversations completed before the interruption, their
// complete files, and nothing else (issue 13 item 12).
func TestFollowAllInterrupted(t *testing.T) {
	data, err := os.ReadFile(flowsSeed)
	if err != nil {
		t.Fatal(err)
	}
	// The whole extraction, to compare the files kept with.
	full := filepath.Join(t.TempDir(), "full")
	if _, errOut, code := run(t, "", "follow", flowsSeed, "--all", "-o", full); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}

	dir := filepath.Join(t.TempDir(), "streams")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut bytes.Buffer
	// 3,641 frames: the first batch (2,048 frames, pipeline.BatchPackets) is consumed before the interruption,
	// and it holds the whole of tcp streams 0 and 1 (they end with RST in frames 6 and 32, says tshark).
	io := &IO{In: &interruptingReader{data: data, wait: time.Second, cancel: cancel}, Out: &out, ErrOut: &errOut}
	root := NewRoot(io)
	root.SetArgs([]string{"follow", "-", "--all", "-o", dir})
	code := report(&errOut, root.ExecuteContext(ctx))
	if code != ExitCancel || !strings.Contains(errOut.String(), "interrupted: ") || !strings.Contains(errOut.String(), "index.csv lists the") || strings.Contains(errOut.String(), "context canceled") {
		t.Fatalf("exit %d, stderr %q", code, errOut.String())
	}
	f, err := os.Open(filepath.Join(dir, "index.csv"))
	if err != nil {
		t.Fatalf("no index of the completed conversations: %v", err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{"index.csv": true}
	streams := map[string]bool{}
	for _, r := range rows[1:] {
		streams[r[0]+r[1]] = true
		for i, name := range []string{r[5], r[6]} {
			if name == "" {
				continue
			}
			listed[name] = true
			got, err := os.ReadFile(filepath.Join(dir, name))
			want, _ := os.ReadFile(filepath.Join(full, name))
			if err != nil || !bytes.Equal(got, want) || strconv.Itoa(len(got)) != r[7+i] {
				t.Errorf("%s: %v, %d bytes, the full extraction's %d, index says %s", name, err, len(got), len(want), r[7+i])
			}
		}
	}
	if !streams["tcp0"] || !streams["tcp1"] || len(rows)-1 >= 7 {
		t.Errorf("index of the interrupted run: %v (want tcp 0 and 1, fewer than the 7 conversations of the full run)", rows)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if !listed[e.Name()] {
			t.Errorf("left behind: %s, not in index.csv", e.Name())
		}
	}
	t.Logf("stderr: %s", errOut.String())
	if !strings.Contains(errOut.String(), fmt.Sprintf("the %d conversations completed", len(rows)-1)) {
		t.Errorf("stderr %q does not count the %d conversations kept", errOut.String(), len(rows)-1)
	}
}
