package render

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// corpusDir holds files with the verdicts real Telegraf gave them.
const corpusDir = "../../testdata/telegraf/toml-corpus"

// CorpusEnv is the environment the corpus verdicts were measured in (see
// its README): SITE_ID, MEM_FIELD and BUFFER_LIMIT are unset.
var CorpusEnv = Env{
	"BATCH_SIZE": "1000",
	"INTERVAL":   "10s",
	"MEM_FIELDS": `["used_percent", "available"]`,
	"HOST_LABEL": `edge "north"`,
	"LOG_DIR":    `C:\Users\telegraf\logs`,
}

type verdict struct {
	file, strict, nonstrict, line, loads, what string
}

func readVerdicts(t *testing.T) []verdict {
	t.Helper()
	f, err := os.Open(filepath.Join(corpusDir, "verdicts.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []verdict
	sc := bufio.NewScanner(f)
	for n := 0; sc.Scan(); n++ {
		if n == 0 {
			continue
		}
		c := strings.Split(sc.Text(), "\t")
		if len(c) < 6 {
			t.Fatalf("verdicts.tsv line %d has %d columns", n+1, len(c))
		}
		out = append(out, verdict{file: c[0], strict: c[1], nonstrict: c[2], line: c[3], loads: c[4], what: c[5]})
	}
	if len(out) < 40 {
		t.Fatalf("only %d verdicts", len(out))
	}
	return out
}

// Acceptance 16.1: every corpus file gets Telegraf's verdict, strict and
// non-strict, with the error on the line Telegraf names; files that are
// not UTF-8 are refused at their first bad byte instead.
func TestCorpusVerdicts(t *testing.T) {
	for _, v := range readVerdicts(t) {
		b, err := os.ReadFile(filepath.Join(corpusDir, v.file))
		if err != nil {
			t.Fatal(err)
		}
		doc := string(b)
		for _, mode := range []struct {
			name      string
			nonStrict bool
			want      string
		}{{"strict", false, v.strict}, {"nonstrict", true, v.nonstrict}} {
			_, err := Validate(doc, Check{NonStrict: mode.nonStrict, Env: CorpusEnv, MaxDepth: 1000})
			var se *SyntaxError
			if err != nil && !errors.As(err, &se) {
				t.Fatalf("%s (%s): error of type %T: %v", v.file, mode.name, err, err)
			}
			if !utf8.ValidString(doc) || strings.Contains(doc, "\x00") {
				if se == nil || !strings.Contains(se.Msg, "UTF") && !strings.Contains(se.Msg, "NUL") {
					t.Errorf("%s (%s): not UTF-8 but %v", v.file, mode.name, err)
				}
				continue
			}
			got := "accept"
			if err != nil {
				got = "reject"
			}
			if got != mode.want {
				t.Errorf("%s (%s, %s): tcd says %s, Telegraf %s (%v)", v.file, mode.name, v.what, got, mode.want, err)
				continue
			}
			if err == nil {
				continue
			}
			if se.Line < 1 || se.Column < 1 {
				t.Errorf("%s (%s): position %d:%d", v.file, mode.name, se.Line, se.Column)
			}
			// The line column is the strict error's, else the load error's,
			// else the non-strict one's.
			if v.line != "-" && (mode.name == "strict" || v.strict == "accept") {
				if want, _ := strconv.Atoi(v.line); se.Line != want {
					t.Errorf("%s (%s): line %d, Telegraf says %d (%s)", v.file, mode.name, se.Line, want, se.Msg)
				}
			}
			t.Logf("%s (%s): %v", v.file, mode.name, err)
		}
	}
}
