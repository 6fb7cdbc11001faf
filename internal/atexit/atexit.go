// Package atexit keeps the paths of temporary files and directories that a run must remove if it is ended
// before it can clean up after itself: when a second interrupt, or an interrupt that the running step cannot
// honour in time (a long DuckDB function, a blocking system call), makes the command line exit at once.
//
// Code that creates a temporary path registers it with Remove and calls the returned function once the path is
// gone or renamed into place; Run removes what is still registered. Everything is safe for concurrent use.
package atexit

import (
	"os"
	"sync"
)

var (
	mu    sync.Mutex
	next  int
	paths = map[int]string{}
)

// Remove registers path (a file or a directory, removed with its contents) for Run, and returns the function that
// unregisters it.
func Remove(path string) (unregister func()) {
	mu.Lock()
	defer mu.Unlock()
	id := next
	next++
	paths[id] = path
	return func() {
		mu.Lock()
		delete(paths, id)
		mu.Unlock()
	}
}

// Forget unregisters path (every registration of it), as the function returned by Remove does.
func Forget(path string) {
	mu.Lock()
	defer mu.Unlock()
	for id, p := range paths {
		if p == path {
			delete(paths, id)
		}
	}
}

// Run removes every registered path and unregisters it. It is called just before a forced exit.
func Run() {
	mu.Lock()
	defer mu.Unlock()
	for id, p := range paths {
		os.RemoveAll(p)
		delete(paths, id)
	}
}
