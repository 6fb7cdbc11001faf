// Command pcapframe turns packet captures into data-science tables. See `pcapframe --help`.
package main

import (
	"os"

	"github.com/pcapframe/pcapframe/internal/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:])) }
