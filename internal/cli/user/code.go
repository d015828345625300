package user

import (
	"fmt"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/iostreams"
)

// oneTimeCode is the output of a verb that creates a one-time code (invite,
// password reset): the API object with -o json|yaml; on a terminal a table
// and advice on stderr; in a pipe the bare code, so that
// CODE=$(tcctl user invite …) just works.
type oneTimeCode struct {
	object any
	code   string
	table  func() error
	advice string
}

func (o oneTimeCode) print(ios *iostreams.IOStreams, format cmdutil.Format) error {
	if format.Structured() {
		return cmdutil.PrintStructured(ios.Out, format, o.object)
	}
	if !ios.IsStdoutTTY() {
		_, err := fmt.Fprintln(ios.Out, cmdutil.Safe(o.code))
		return err
	}
	if err := o.table(); err != nil {
		return err
	}
	fmt.Fprintln(ios.ErrOut)
	fmt.Fprintln(ios.ErrOut, o.advice)
	return nil
}
