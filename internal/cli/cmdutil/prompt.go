package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/opentc/tc/internal/cli/iostreams"
)

// Confirm asks question on a terminal and returns ErrCancel unless the
// answer is yes. yes (the --yes flag) skips the question; off a terminal
// --yes is required, so a script never deletes by accident.
func Confirm(ctx context.Context, ios *iostreams.IOStreams, yes bool, question string) error {
	if yes {
		return nil
	}
	if !ios.CanPrompt() {
		return FlagErrorf("--yes is required when not running on a terminal")
	}
	ans, err := ios.ReadLine(ctx, question+" [y/N] ")
	if errors.Is(err, io.EOF) {
		return ErrCancel
	}
	if err != nil {
		return err
	}
	switch strings.ToLower(strings.TrimSpace(ans)) {
	case "y", "yes":
		return nil
	}
	return ErrCancel
}

// PromptLine asks for a visible value on a terminal; empty answers are
// refused with an error naming the field.
func PromptLine(ctx context.Context, ios *iostreams.IOStreams, field string) (string, error) {
	v, err := ios.ReadLine(ctx, field+": ")
	if err != nil {
		return "", fmt.Errorf("read %s: %w", strings.ToLower(field), err)
	}
	v = strings.TrimSpace(v)
	if v == "" {
		return "", fmt.Errorf("%s must not be empty", strings.ToLower(field))
	}
	return v, nil
}

// PasswordMode says how a command obtains a password.
type PasswordMode struct {
	// FromStdin is --password-stdin: read the first line of stdin.
	FromStdin bool
	// Confirm asks twice on a terminal (for a new password).
	Confirm bool
}

// ReadPassword reads a password from stdin (--password-stdin) or, on a
// terminal, from a hidden prompt. Off a terminal without --password-stdin
// it is a usage error: tcctl never takes a password as an argument.
func ReadPassword(ctx context.Context, ios *iostreams.IOStreams, mode PasswordMode) (string, error) {
	if mode.FromStdin {
		pw, err := ios.ReadLine(ctx, "")
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("read password from standard input: %w", err)
		}
		if pw == "" {
			return "", FlagErrorf("--password-stdin: standard input holds no password")
		}
		return pw, nil
	}
	if !ios.CanPrompt() || ios.ReadPassword == nil {
		return "", FlagErrorf("--password-stdin is required when not running on a terminal")
	}
	pw, err := ios.ReadPassword(ctx, "Password: ")
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	if pw == "" {
		return "", errors.New("password must not be empty")
	}
	if mode.Confirm {
		again, err := ios.ReadPassword(ctx, "Repeat password: ")
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if again != pw {
			return "", errors.New("passwords do not match")
		}
	}
	return pw, nil
}
