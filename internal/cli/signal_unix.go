//go:build unix

package cli

import "syscall"

// noCoreFile lowers the core file size limit to 0, so that a crash by SIGABRT writes no core file.
func noCoreFile() {
	var rl syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_CORE, &rl) == nil && rl.Cur != 0 {
		rl.Cur = 0
		syscall.Setrlimit(syscall.RLIMIT_CORE, &rl)
	}
}
