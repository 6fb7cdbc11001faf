//go:build !linux

package filter

import (
	"testing"

	"golang.org/x/net/bpf"
)

func attachIfLinux(t *testing.T, prog []bpf.Instruction) {}
