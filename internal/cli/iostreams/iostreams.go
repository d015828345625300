// Package iostreams holds the three standard streams of tcctl together with
// what the commands need to know about them: whether each is a terminal and
// how to read a line or a hidden password. Tests build an IOStreams with
// Test and switch terminal mode on or off by setting the TTY fields.
package iostreams

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"golang.org/x/term"
)

// IOStreams are the streams a command reads and writes.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	// InTTY, OutTTY and ErrTTY report whether In, Out and ErrOut are
	// terminals. System detects them; tests set them.
	InTTY, OutTTY, ErrTTY bool

	// Getenv reads the environment for NO_COLOR and TERM (os.Getenv when
	// nil).
	Getenv func(string) string

	// ReadPassword writes prompt to ErrOut and reads one line from the
	// terminal without echoing it. System uses golang.org/x/term; tests
	// install a fake. Nil means hidden input is not available.
	ReadPassword func(ctx context.Context, prompt string) (string, error)

	// in buffers In so that prompts, --password-stdin and confirmations
	// share one reader and never lose bytes to each other.
	inOnce sync.Once
	in     *bufio.Reader
}

// System returns the process's standard streams with terminal detection and
// a hidden password prompt on the controlling terminal.
func System() *IOStreams {
	ios := &IOStreams{
		In:     os.Stdin,
		Out:    os.Stdout,
		ErrOut: os.Stderr,
		InTTY:  isTerminal(os.Stdin),
		OutTTY: isTerminal(os.Stdout),
		ErrTTY: isTerminal(os.Stderr),
	}
	fd := int(os.Stdin.Fd())
	ios.ReadPassword = func(ctx context.Context, prompt string) (string, error) {
		return readPasswordTerminal(ctx, fd, prompt, ios.ErrOut)
	}
	return ios
}

// Test returns streams backed by buffers, in non-terminal mode, with no
// password prompt: the shape of a script or CI job.
func Test() (ios *IOStreams, in *bytes.Buffer, out *bytes.Buffer, errOut *bytes.Buffer) {
	in, out, errOut = &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut}, in, out, errOut
}

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// SetTerminal switches all three streams into (or out of) terminal mode.
func (s *IOStreams) SetTerminal(on bool) { s.InTTY, s.OutTTY, s.ErrTTY = on, on, on }

// IsStdoutTTY reports whether stdout is a terminal: decorations such as
// "✓ done" lines and hints are shown only then.
func (s *IOStreams) IsStdoutTTY() bool { return s.OutTTY }

// ColorEnabled reports whether tcctl may colour its output: only when
// stdout is a terminal, NO_COLOR is unset or empty (https://no-color.org)
// and TERM is not "dumb".
func (s *IOStreams) ColorEnabled() bool {
	getenv := s.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	return s.OutTTY && getenv("NO_COLOR") == "" && getenv("TERM") != "dumb"
}

// CanPrompt reports whether the user can be asked questions: stdin must be
// a terminal to answer and stderr a terminal to see the question. stdout
// does not matter, so `tcctl login -o json > me.json` still prompts.
func (s *IOStreams) CanPrompt() bool { return s.InTTY && s.ErrTTY }

func (s *IOStreams) reader() *bufio.Reader {
	s.inOnce.Do(func() {
		if s.In == nil {
			s.In = strings.NewReader("")
		}
		s.in = bufio.NewReader(s.In)
	})
	return s.in
}

// ReadLine writes prompt (if any) to ErrOut and reads one line from In,
// without its line ending. It gives up when ctx ends. io.EOF is returned
// only when In is exhausted before any byte of the line.
func (s *IOStreams) ReadLine(ctx context.Context, prompt string) (string, error) {
	if prompt != "" {
		fmt.Fprint(s.ErrOut, prompt)
	}
	type result struct {
		line string
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		line, err := s.reader().ReadString('\n')
		if errors.Is(err, io.EOF) && line != "" {
			err = nil
		}
		ch <- result{strings.TrimRight(line, "\r\n"), err}
	}()
	select {
	case r := <-ch:
		return r.line, r.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// ReadAll reads the rest of In, for example a token piped to
// `tcctl login --with-token`.
func (s *IOStreams) ReadAll() (string, error) {
	b, err := io.ReadAll(s.reader())
	return string(b), err
}

// readPasswordTerminal reads a password without echo. It runs the read in a
// goroutine so that an interrupt (which cancels ctx) restores the terminal
// instead of leaving echo switched off.
func readPasswordTerminal(ctx context.Context, fd int, prompt string, errOut io.Writer) (string, error) {
	state, err := term.GetState(fd)
	if err != nil {
		return "", fmt.Errorf("cannot read a password: standard input is not a terminal: %w", err)
	}
	fmt.Fprint(errOut, prompt)
	type result struct {
		pw  []byte
		err error
	}
	ch := make(chan result, 1)
	go func() {
		pw, err := term.ReadPassword(fd)
		ch <- result{pw, err}
	}()
	select {
	case r := <-ch:
		fmt.Fprintln(errOut)
		return string(r.pw), r.err
	case <-ctx.Done():
		_ = term.Restore(fd, state)
		fmt.Fprintln(errOut)
		return "", ctx.Err()
	}
}
