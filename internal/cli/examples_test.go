package cli_test

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"mvdan.cc/sh/v3/syntax"

	"github.com/opentc/tc/internal/cli"
	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/pkg/tc"
)

var uuidRe = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// example is one tcctl command line found in a help text.
type example struct {
	where string // the command whose help shows it
	text  string
	args  []string
}

// tcctlCalls parses a help example as shell and returns the arguments of
// every tcctl call in it (pipelines, $(…), env assignments and line
// continuations included). Words with expansions ($VAR, $(…)) become a
// placeholder value.
func tcctlCalls(t *testing.T, where, text string) []example {
	t.Helper()
	f, err := syntax.NewParser().Parse(strings.NewReader(text), where)
	if err != nil {
		t.Errorf("%s: example is not valid shell: %v\n%s", where, err, text)
		return nil
	}
	var out []example
	syntax.Walk(f, func(n syntax.Node) bool {
		call, ok := n.(*syntax.CallExpr)
		if !ok || len(call.Args) == 0 || call.Args[0].Lit() != "tcctl" {
			return true
		}
		var args []string
		for _, w := range call.Args[1:] {
			args = append(args, wordValue(w))
		}
		var src strings.Builder
		syntax.NewPrinter().Print(&src, call)
		out = append(out, example{where: where, text: src.String(), args: args})
		return true
	})
	return out
}

// wordValue is a word's value with quotes removed; expansions stand in as
// "x1".
func wordValue(w *syntax.Word) string {
	var b strings.Builder
	var part func(p syntax.WordPart)
	part = func(p syntax.WordPart) {
		switch v := p.(type) {
		case *syntax.Lit:
			b.WriteString(v.Value)
		case *syntax.SglQuoted:
			b.WriteString(v.Value)
		case *syntax.DblQuoted:
			for _, q := range v.Parts {
				part(q)
			}
		default:
			b.WriteString("x1")
		}
	}
	for _, p := range w.Parts {
		part(p)
	}
	return b.String()
}

func walk(c *cobra.Command, fn func(*cobra.Command)) {
	fn(c)
	for _, sub := range c.Commands() {
		walk(sub, fn)
	}
}

// Issue 18 finding 8 / acceptance 3: every example in every --help parses
// as the command it shows: the command exists, every flag exists and takes
// the value given, required flags are there, the number of arguments fits,
// and usernames and roles in examples are ones tcd would accept.
func TestHelpExamplesParse(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	root := cli.NewCmdRoot(cmdutil.New(ios, "test"))
	var all []example
	walk(root, func(c *cobra.Command) {
		if c.Example != "" {
			all = append(all, tcctlCalls(t, c.CommandPath(), c.Example)...)
		}
	})
	if len(all) < 100 {
		t.Fatalf("found only %d examples", len(all))
	}
	names := vocabulary(all)
	for _, ex := range all {
		checkExample(t, ex, names)
	}
}

// vocabulary collects the names the examples create — rule create --name
// slow-links makes "slow-links" a rule — so that an example naming an
// object where the usage line wants another kind (a rule where an agent
// goes) stands out.
func vocabulary(all []example) map[string]map[string]bool {
	out := map[string]map[string]bool{"rule": {"default": true}}
	for _, ex := range all {
		for i, a := range ex.args {
			if a != "create" && a != "push" || i == 0 {
				continue
			}
			noun := strings.Join(ex.args[:i], " ")
			for j := i + 1; j+1 < len(ex.args); j++ {
				if ex.args[j] == "--name" {
					if out[noun] == nil {
						out[noun] = map[string]bool{}
					}
					out[noun][ex.args[j+1]] = true
				}
			}
			break
		}
	}
	return out
}

func checkExample(t *testing.T, ex example, names map[string]map[string]bool) {
	t.Helper()
	// A fresh tree per example: flags keep the values they parsed.
	ios, _, _, _ := iostreams.Test()
	root := cli.NewCmdRoot(cmdutil.New(ios, "test"))
	fail := func(format string, a ...any) {
		t.Helper()
		t.Errorf("example in %s --help: %s\n  %s", ex.where, strings.TrimSpace(ex.text), strings.ReplaceAll(fmt.Sprintf(format, a...), "\n", " "))
	}
	cmd, rest, err := root.Find(ex.args)
	if err != nil {
		fail("%v", err)
		return
	}
	if err := cmd.ParseFlags(rest); err != nil {
		fail("flags: %v", err)
		return
	}
	if cmd.Flags().Changed("help") {
		return
	}
	if cmd.Runnable() && cmd.HasSubCommands() && len(cmd.Flags().Args()) > 0 {
		fail("unknown command %q for %q", cmd.Flags().Args()[0], cmd.CommandPath())
		return
	}
	if err := cmd.ValidateArgs(cmd.Flags().Args()); err != nil {
		fail("arguments: %v", err)
	}
	// An argument the usage line calls <id> must be a whole ID (a UUID, or
	// one shortened visibly with …), not a prefix tcd would not find.
	uses := strings.Fields(cmd.Use)[1:]
	for i, a := range cmd.Flags().Args() {
		u := ""
		if i < len(uses) {
			u = uses[i]
		} else if len(uses) > 0 && strings.HasSuffix(uses[len(uses)-1], "...") {
			u = uses[len(uses)-1]
		}
		kind := strings.Trim(strings.TrimSuffix(u, "..."), "<>")
		// <rule> of "notify rule edit" is a notification rule; of "agent
		// set-rule" a reporting rule.
		noun := strings.TrimPrefix(cmd.Parent().CommandPath(), "tcctl ")
		if strings.HasSuffix(noun, " "+kind) {
			kind = noun
		}
		switch {
		case kind == "id" && !strings.Contains(a, "…") && !uuidRe.MatchString(a) && a != "x1":
			fail("argument %q is no whole ID", a)
		case len(names[kind]) > 0 && !names[kind][a] && !strings.Contains(a, "…"):
			fail("argument %q is no %s the examples create (%v)", a, kind, keys(names[kind]))
		}
	}
	if err := cmd.ValidateRequiredFlags(); err != nil {
		fail("%v", err)
	}
	if err := cmd.ValidateFlagGroups(); err != nil {
		fail("%v", err)
	}
	for _, name := range []string{"username"} {
		if fl := cmd.Flags().Lookup(name); fl != nil && fl.Changed && !strings.HasPrefix(fl.Value.String(), "x1") {
			if _, err := tc.NormalizeUsername(fl.Value.String()); err != nil {
				fail("--%s: %v", name, err)
			}
		}
	}
	if fl := cmd.Flags().Lookup("role"); fl != nil && fl.Changed {
		if _, err := tc.ParseRole(fl.Value.String()); err != nil {
			fail("--role: %v", err)
		}
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
