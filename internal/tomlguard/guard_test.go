package tomlguard

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

func TestCheck(t *testing.T) {
	deep := func(open, close string, n int) string {
		return "a = " + strings.Repeat(open, n) + strings.Repeat(close, n) + "\n"
	}
	tests := []struct {
		name string
		doc  string
		line int // 0: accepted
	}{
		{"policy", "[module]\nmatch = \"clock\"\n\n[[fs]]\nhost = \"~/x\"\nguest = \"/x\"\nmode = \"ro\"\n[limits]\nmemory = \"64MiB\"\n", 0},
		{"inline tables in an array", "fs = [{host = \"a\", guest = \"/b\"}, {host = \"c\"}]\n", 0},
		{"arrays at the bound", deep("[", "]", 16), 0},
		{"arrays over the bound", deep("[", "]", 17), 1},
		{"inline tables over the bound", "x = 1\n" + strings.Repeat("a = {", 17) + "b = 1" + strings.Repeat("}", 17) + "\n", 2},
		{"two million arrays", deep("[", "]", 2_000_000)[:600_000], 1},
		{"brackets in strings", "a = \"[[[[[[[[[[[[[[[[[[[[\"\nb = '{{{{{{{{{{{{{{{{{{{{{'\nc = \"\"\"\n[[[[[[[[[[[[[[[[[[[[[[\n\"\"\"\n", 0},
		{"brackets in comments", "# [[[[[[[[[[[[[[[[[[[[[[[[[[[[[\na = 1 # {{{{{{{{{{{{{{{{{{{{{{{{{{{\n", 0},
		{"escaped quote", "a = \"\\\"[[[[[[[[[[[[[[[[[[[[[[\"\n", 0},
		{"multi-line array", "a = [\n  [1],\n  # ]]]]\n  [2],\n]\nb = [[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]\n", 6},
		{"dotted key at the bound", strings.Repeat("a.", 15) + "b = 1\n", 0},
		{"dotted key over the bound", "\n" + strings.Repeat("a.", 16) + "b = 1\n", 2},
		{"header over the bound", "[" + strings.Repeat("a.", 16) + "b]\n", 1},
		{"array header over the bound", "[[" + strings.Repeat("a.", 16) + "b]]\n", 1},
		{"quoted dots do not count", "\"" + strings.Repeat("a.", 40) + "\" = 1\n", 0},
		{"floats are values", "a = 1.5\nb = [1.2, 3.4, 5.6, 7.8, 9.1, 2.3, 4.5, 6.7, 8.9, 1.1, 2.2, 3.3, 4.4, 5.5, 6.6, 7.7, 8.8]\n", 0},
		{"inline table dotted key", "a = {" + strings.Repeat("b.", 16) + "c = 1}\n", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check([]byte(tt.doc), "f.toml")
			if tt.line == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var ge *Error
			if !errors.As(err, &ge) || !errors.Is(err, ErrRefused) {
				t.Fatalf("want a refusal at line %d, got %v", tt.line, err)
			}
			if ge.Line != tt.line || ge.File != "f.toml" {
				t.Fatalf("refused at %s:%d, want f.toml:%d (%v)", ge.File, ge.Line, tt.line, err)
			}
		})
	}
}

func TestCheckSize(t *testing.T) {
	big := []byte("a = \"" + strings.Repeat("x", Default.MaxBytes) + "\"\n")
	if err := Check(big, "big.toml"); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "big.toml: ") {
		t.Fatalf("oversized document: %v", err)
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "big.toml")
	if err := os.WriteFile(p, big, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(p); !errors.Is(err, ErrRefused) {
		t.Fatalf("ReadFile of an oversized file: %v", err)
	}
	if _, err := ReadFile(filepath.Join(dir, "none.toml")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("ReadFile of a missing file: %v", err)
	}
}

// FuzzCheck: the guard never panics, and whatever it accepts the decoder parses without
// overflowing its stack (a crash here ends the fuzzer with the input saved).
func FuzzCheck(f *testing.F) {
	f.Add([]byte("[module]\nmatch = \"clock\"\n[[fs]]\nhost = \"a\"\n"))
	f.Add([]byte("a = [[[[1]]]]\nb = {c = {d = [1, {e = 2}]}}\n"))
	f.Add([]byte("a = \"\"\"\n[[[\n\"\"\"\nb.c.d = '''x'''\n"))
	f.Add([]byte("[[" + strings.Repeat("a.", 15) + "b]]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		lim := Limits{MaxBytes: 1 << 16, MaxDepth: 16, MaxKeyParts: 16}
		if lim.Check(data, "fuzz.toml") != nil {
			return
		}
		var v any
		toml.Decode(string(data), &v)
	})
}
