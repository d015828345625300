package iostreams

import (
	"context"
	"errors"
	"io"
	"testing"
)

func TestReadLine(t *testing.T) {
	ios, in, _, errOut := Test()
	in.WriteString("first\r\nsecond\nlast")
	ctx := context.Background()
	for _, want := range []string{"first", "second", "last"} {
		got, err := ios.ReadLine(ctx, "> ")
		if err != nil || got != want {
			t.Fatalf("ReadLine = %q, %v; want %q", got, err, want)
		}
	}
	if _, err := ios.ReadLine(ctx, ""); !errors.Is(err, io.EOF) {
		t.Errorf("ReadLine at end = %v, want EOF", err)
	}
	if errOut.String() != "> > > " {
		t.Errorf("prompts = %q", errOut.String())
	}
}

func TestReadLineThenReadAllShareTheBuffer(t *testing.T) {
	ios, in, _, _ := Test()
	in.WriteString("line\nrest of it\n")
	if l, _ := ios.ReadLine(context.Background(), ""); l != "line" {
		t.Fatalf("line = %q", l)
	}
	if rest, _ := ios.ReadAll(); rest != "rest of it\n" {
		t.Errorf("rest = %q", rest)
	}
}

func TestTerminalMode(t *testing.T) {
	ios, _, _, _ := Test()
	if ios.CanPrompt() || ios.IsStdoutTTY() {
		t.Error("Test streams must start in non-terminal mode")
	}
	ios.SetTerminal(true)
	if !ios.CanPrompt() || !ios.IsStdoutTTY() {
		t.Error("SetTerminal(true) not applied")
	}
	ios.OutTTY = false // `tcctl login -o json > me.json` still prompts
	if !ios.CanPrompt() {
		t.Error("CanPrompt must not depend on stdout")
	}
}
