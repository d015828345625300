// Command tcctl is the admin CLI of tcd. Everything lives in internal/cli.
package main

import (
	"os"

	"github.com/opentc/tc/internal/cli"
)

func main() { os.Exit(cli.Main()) }
