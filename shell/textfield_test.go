package shell

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// render shows a field as text with "|" at the cursor and [ ] around the selection, so each
// table row reads like what the user sees.
func render(f *TextField) string {
	s, e := f.Selection()
	var b strings.Builder
	r := []rune(f.Text())
	for i := 0; i <= len(r); i++ {
		if i == s && s != e {
			b.WriteByte('[')
		}
		if i == f.Cursor() {
			b.WriteByte('|')
		}
		if i == e && s != e {
			b.WriteByte(']')
		}
		if i < len(r) {
			b.WriteRune(r[i])
		}
	}
	return b.String()
}

// parse builds a field from the render notation ("ab|c", "a[b|]c", "a[|b]c").
func parse(t *testing.T, spec string) *TextField {
	t.Helper()
	var text []rune
	cur, sel0, sel1 := -1, -1, -1
	for _, r := range spec {
		switch r {
		case '|':
			cur = len(text)
		case '[':
			sel0 = len(text)
		case ']':
			sel1 = len(text)
		default:
			text = append(text, r)
		}
	}
	if cur < 0 {
		t.Fatalf("spec %q has no cursor", spec)
	}
	f := &TextField{}
	f.SetText(string(text))
	anchor := cur
	if sel0 >= 0 {
		if cur == sel0 {
			anchor = sel1
		} else {
			anchor = sel0
		}
	}
	f.MoveTo(anchor, false)
	f.MoveTo(cur, true)
	return f
}

func TestTextFieldEditing(t *testing.T) {
	tests := []struct {
		name string
		in   string
		op   func(f *TextField)
		want string
	}{
		{"insert at cursor", "ab|c", func(f *TextField) { f.Insert("X") }, "abX|c"},
		{"insert replaces selection", "a[bc|]d", func(f *TextField) { f.Insert("Z") }, "aZ|d"},
		{"insert newline becomes space", "|", func(f *TextField) { f.Insert("a\nb") }, "a b|"},
		{"insert unicode", "|", func(f *TextField) { f.Insert("héllo") }, "héllo|"},
		{"backspace", "ab|c", func(f *TextField) { f.Backspace(false) }, "a|c"},
		{"backspace at start", "|abc", func(f *TextField) { f.Backspace(false) }, "|abc"},
		{"backspace selection", "a[b|]c", func(f *TextField) { f.Backspace(false) }, "a|c"},
		{"backspace word", "http://host/clock|", func(f *TextField) { f.Backspace(true) }, "http://host/|"},
		{"backspace word skips punct", "http://host/|", func(f *TextField) { f.Backspace(true) }, "http://|"},
		{"delete", "a|bc", func(f *TextField) { f.Delete(false) }, "a|c"},
		{"delete at end", "abc|", func(f *TextField) { f.Delete(false) }, "abc|"},
		{"delete word", "|clock.wasm", func(f *TextField) { f.Delete(true) }, "|.wasm"},
		{"left", "ab|c", func(f *TextField) { f.Left(false, false) }, "a|bc"},
		{"left at start", "|abc", func(f *TextField) { f.Left(false, false) }, "|abc"},
		{"left collapses selection", "a[bc|]d", func(f *TextField) { f.Left(false, false) }, "a|bcd"},
		{"shift left extends", "abc|", func(f *TextField) { f.Left(false, true); f.Left(false, true) }, "a[|bc]"},
		{"shift right after shift left shrinks", "a[|bc]", func(f *TextField) { f.Right(false, true) }, "ab[|c]"},
		{"right collapses to end", "[|abc]", func(f *TextField) { f.Right(false, false) }, "abc|"},
		{"ctrl left", "one two|", func(f *TextField) { f.Left(true, false) }, "one |two"},
		{"ctrl left twice", "one two|", func(f *TextField) { f.Left(true, false); f.Left(true, false) }, "|one two"},
		{"ctrl right", "|one two", func(f *TextField) { f.Right(true, false) }, "one| two"},
		{"ctrl shift right", "|one two", func(f *TextField) { f.Right(true, true) }, "[one|] two"},
		{"home", "abc|", func(f *TextField) { f.Home(false) }, "|abc"},
		{"shift end", "a|bc", func(f *TextField) { f.End(true) }, "a[bc|]"},
		{"shift home", "ab|c", func(f *TextField) { f.Home(true) }, "[|ab]c"},
		{"select all", "a|bc", func(f *TextField) { f.SelectAll() }, "[abc|]"},
		{"select all empty", "|", func(f *TextField) { f.SelectAll() }, "|"},
		{"select word middle", "|http://example.com/clock.wasm", func(f *TextField) { f.SelectWord(10) }, "http://[example|].com/clock.wasm"},
		{"select word at end", "|one two", func(f *TextField) { f.SelectWord(7) }, "one [two|]"},
		{"select word on punct", "|a://b", func(f *TextField) { f.SelectWord(2) }, "a[://|]b"},
		{"cut", "a[bc|]d", func(f *TextField) {
			if got := f.Cut(); got != "bc" {
				panic("cut returned " + got)
			}
		}, "a|d"},
		{"cut nothing", "ab|c", func(f *TextField) { f.Cut() }, "ab|c"},
		{"mouse drag", "|abcdef", func(f *TextField) { f.MoveTo(1, false); f.MoveTo(4, true) }, "a[bcd|]ef"},
		{"move clamps", "abc|", func(f *TextField) { f.MoveTo(99, false) }, "abc|"},
		{"set text", "a[b|]c", func(f *TextField) { f.SetText("xyz") }, "xyz|"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := parse(t, tt.in)
			if got := render(f); got != tt.in {
				t.Fatalf("parse/render round trip: %q became %q", tt.in, got)
			}
			tt.op(f)
			if got := render(f); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestTextFieldSelectedText(t *testing.T) {
	f := parse(t, "open [clock|] now")
	if got := f.SelectedText(); got != "clock" {
		t.Fatalf("SelectedText = %q, want clock", got)
	}
}

func TestHistoryBrowsing(t *testing.T) {
	h, err := LoadHistory("")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []string{"hello", "clock", "clock", "paint"} {
		h.Add(e)
	}
	if got := h.Entries(); !reflect.DeepEqual(got, []string{"hello", "clock", "paint"}) {
		t.Fatalf("entries = %q (repeat must be kept once)", got)
	}
	steps := []struct {
		up   bool
		want string
		ok   bool
	}{
		{true, "paint", true},
		{true, "clock", true},
		{true, "hello", true},
		{true, "", false},
		{false, "clock", true},
		{false, "paint", true},
		{false, "draft", true},
		{false, "", false},
	}
	for i, s := range steps {
		var got string
		var ok bool
		if s.up {
			got, ok = h.Prev("draft")
		} else {
			got, ok = h.Next()
		}
		if got != s.want || ok != s.ok {
			t.Fatalf("step %d (up=%v): got (%q, %v), want (%q, %v)", i, s.up, got, ok, s.want, s.ok)
		}
	}
}

func TestHistoryPersists(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shell", "history")
	h, err := LoadHistory(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []string{"clock", "http://127.0.0.1:8080/paint.wasm"} {
		if err := h.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	h2, err := LoadHistory(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := h2.Entries(); !reflect.DeepEqual(got, h.Entries()) {
		t.Fatalf("reloaded %q, want %q", got, h.Entries())
	}
	if got, _ := h2.Prev(""); got != "http://127.0.0.1:8080/paint.wasm" {
		t.Fatalf("Prev after reload = %q", got)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("history dir holds %d files, want only the history (no temp files left)", len(entries))
	}
}
