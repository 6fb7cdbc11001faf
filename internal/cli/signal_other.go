//go:build !unix

package cli

// noCoreFile does nothing where there are no core files.
func noCoreFile() {}
