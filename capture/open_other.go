//go:build !unix

package capture

import "os"

func openPollable(path string) (*os.File, bool, error) { return nil, false, nil }

func waitWriter(f *os.File) error { return nil }
