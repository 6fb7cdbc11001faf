package atexit

import (
	"os"
	"path/filepath"
	"testing"
)

func TestRun(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f.tmp")
	sub := filepath.Join(dir, "d")
	kept := filepath.Join(dir, "kept")
	for _, p := range []string{file, kept} {
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(sub, "inner"), 0o700); err != nil {
		t.Fatal(err)
	}
	Remove(file)
	Remove(sub)
	Remove(kept)() // unregistered at once: Run must leave it
	Remove(kept)
	Forget(kept) // likewise
	Run()
	for _, tt := range []struct {
		path   string
		exists bool
	}{{file, false}, {sub, false}, {kept, true}} {
		_, err := os.Stat(tt.path)
		if exists := err == nil; exists != tt.exists {
			t.Errorf("%s: exists %v, want %v", tt.path, exists, tt.exists)
		}
	}
}
