package capture

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Expand turns command-line inputs into a list of capture paths: files as
// given, directories walked recursively (sorted, regular files only, hidden
// files and directories skipped; symbolic links to files are followed, links
// to directories are not), "-" kept as is. It fails if an input does not
// exist. A directory's files follow each other in lexical order of their path; those that are not captures
// are left out (ExpandSkipping returns them).
func Expand(inputs []string) ([]string, error) {
	out, _, err := ExpandSkipping(inputs)
	return out, err
}

// ExpandSkipping is Expand that leaves out, and returns, the files found inside directory inputs that are not
// captures by their first bytes (IsCapture): the MANIFEST, licence or README beside the captures of a folder.
// A file named as an input is never skipped: reading it fails as a file that is not a capture.
func ExpandSkipping(inputs []string) (paths, skipped []string, err error) {
	var out []string
	for _, in := range inputs {
		if in == "-" {
			out = append(out, in)
			continue
		}
		st, err := os.Stat(in)
		if err != nil {
			return nil, nil, err
		}
		if !st.IsDir() {
			out = append(out, in)
			continue
		}
		var files []string
		err = filepath.WalkDir(in, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if path != in && strings.HasPrefix(d.Name(), ".") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			switch {
			case d.Type().IsRegular():
				files = append(files, path)
			case d.Type()&fs.ModeSymlink != 0:
				if t, err := os.Stat(path); err == nil && t.Mode().IsRegular() {
					files = append(files, path)
				}
			}
			return nil
		})
		if err != nil {
			return nil, nil, fmt.Errorf("walk %s: %w", in, err)
		}
		slices.Sort(files)
		for _, f := range files {
			if IsCapture(f) {
				out = append(out, f)
			} else {
				skipped = append(skipped, f)
			}
		}
	}
	return out, skipped, nil
}

// IsCapture reports whether the file at path begins as a capture that can be read: a pcap or pcapng file,
// possibly gzip- or zstd-compressed. A capture damaged after its first bytes is still one.
func IsCapture(path string) bool {
	r, err := Open(path)
	if err == nil {
		r.Close()
		return true
	}
	return !errors.Is(err, ErrNotCapture) && !errors.Is(err, ErrUnsupported)
}
