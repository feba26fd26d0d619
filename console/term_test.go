package console

import (
	"strings"
	"testing"
)

// screenText returns the screen's rows with trailing blanks removed.
func screenText(t *Terminal) []string {
	_, rows := t.Size()
	out := make([]string, rows)
	for y := range rows {
		var b strings.Builder
		for _, c := range t.Row(y) {
			r := c.R
			if r == 0 {
				r = ' '
			}
			b.WriteRune(r)
		}
		out[y] = strings.TrimRight(b.String(), " ")
	}
	return out
}

func TestTerminal(t *testing.T) {
	cases := []struct {
		name string
		in   []string // written in pieces, so sequences split across writes are tested
		want []string // the screen, 10x4
		cx   int
		cy   int
	}{
		{"text and newlines", []string{"ab\ncd"}, []string{"ab", "cd", "", ""}, 2, 1},
		{"wrap", []string{"0123456789xy"}, []string{"0123456789", "xy", "", ""}, 2, 1},
		{"exactly full line then newline", []string{"0123456789\nz"}, []string{"0123456789", "z", "", ""}, 1, 1},
		{"carriage return overwrites", []string{"hello\rj"}, []string{"jello", "", "", ""}, 1, 0},
		{"backspace", []string{"abc\b\bX"}, []string{"aXc", "", "", ""}, 2, 0},
		{"tab", []string{"a\tb"}, []string{"a       b", "", "", ""}, 9, 0},
		{"scrolls", []string{"1\n2\n3\n4\n5"}, []string{"2", "3", "4", "5"}, 1, 3},
		{"cursor position", []string{"\x1b[2;3Hx\x1b[1;1Hy"}, []string{"y", "  x", "", ""}, 1, 0},
		{"cursor moves", []string{"\x1b[3B\x1b[4Cq\x1b[2Aw\x1b[3Dz"}, []string{"", "   z w", "", "    q"}, 4, 1},
		{"erase line", []string{"abcdef\x1b[3D\x1b[K"}, []string{"abc", "", "", ""}, 3, 0},
		{"erase screen", []string{"ab\ncd\x1b[2J\x1b[Hz"}, []string{"z", "", "", ""}, 1, 0},
		{"split sequence", []string{"ab\x1b", "[", "1;", "5H", "c"}, []string{"ab  c", "", "", ""}, 5, 0},
		{"split utf-8", []string{"caf\xc3", "\xa9 \xe2\x9c", "\x93"}, []string{"café ✓", "", "", ""}, 6, 0},
		{"bad utf-8", []string{"a\xffb"}, []string{"a\ufffdb", "", "", ""}, 3, 0},
		{"insert and delete chars", []string{"abcdef\x1b[1;2H\x1b[2@XY\x1b[1;6H\x1b[P"}, []string{"aXYbcef", "", "", ""}, 5, 0},
		{"insert and delete lines", []string{"1\n2\n3\x1b[2;1H\x1b[L\x1b[4;1H\x1b[M"}, []string{"1", "", "2", ""}, 0, 3},
		{"scroll region", []string{"top\x1b[2;3r\x1b[3;1Ha\nb\nc"}, []string{"top", "b", "c", ""}, 1, 2},
		{"osc and dcs skipped", []string{"a\x1b]0;title\x07b\x1bPq#0;2\x1b\\c"}, []string{"abc", "", "", ""}, 3, 0},
		{"save restore", []string{"ab\x1b7\x1b[3;3Hx\x1b8c"}, []string{"abc", "", "  x", ""}, 3, 0},
		{"alt screen", []string{"main\x1b[?1049halt\x1b[?1049l!"}, []string{"main!", "", "", ""}, 5, 0},
		{"reverse index scrolls down", []string{"a\nb\x1b[H\x1bMz"}, []string{"z", "a", "b", ""}, 1, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			term := NewTerminal(10, 4, 100)
			for _, s := range c.in {
				term.Write([]byte(s))
			}
			got := screenText(term)
			if strings.Join(got, "|") != strings.Join(c.want, "|") {
				t.Errorf("screen %q, want %q", got, c.want)
			}
			if x, y, _ := term.Cursor(); x != c.cx || y != c.cy {
				t.Errorf("cursor (%d,%d), want (%d,%d)", x, y, c.cx, c.cy)
			}
		})
	}
}

func TestTerminalColours(t *testing.T) {
	term := NewTerminal(20, 2, 10)
	term.Write([]byte("\x1b[1;31mA\x1b[0mB\x1b[38;5;200;48;2;1;2;3mC\x1b[7;4mD\x1b[27;24;39;49mE\x1b[92mF"))
	row := term.Row(0)
	want := []Cell{
		{R: 'A', FG: 2, Attr: AttrBold},
		{R: 'B'},
		{R: 'C', FG: 201, BG: rgbFlag | 0x010203},
		{R: 'D', FG: 201, BG: rgbFlag | 0x010203, Attr: AttrInverse | AttrUnderline},
		{R: 'E'},
		{R: 'F', FG: 11},
	}
	for i, w := range want {
		if row[i] != w {
			t.Errorf("cell %d: %+v, want %+v", i, row[i], w)
		}
	}
	if term.Write([]byte("\x1b]2;my title\x1b\\")); term.Title() != "my title" {
		t.Errorf("title %q", term.Title())
	}
}

// TestScrollbackBounded: lines scrolled off the top are kept up to the limit, the oldest go.
func TestScrollbackBounded(t *testing.T) {
	term := NewTerminal(10, 3, 50)
	var b strings.Builder
	for i := range 1000 {
		b.WriteString(strings.Repeat("x", i%7) + "\n")
	}
	term.Write([]byte(b.String()))
	n, dropped := term.Scrollback()
	if n != 50 || dropped != 1000-2-50 {
		t.Fatalf("scrollback %d lines, %d dropped; want 50 and %d", n, dropped, 1000-2-50)
	}
	if got := len(term.ScrollbackRow(49)); got != 10 {
		t.Errorf("scrollback row of %d cells", got)
	}
}

func TestTerminalResize(t *testing.T) {
	term := NewTerminal(10, 4, 10)
	term.Write([]byte("1\n2\n3\n4"))
	term.Resize(5, 2)
	if got := screenText(term); got[0] != "3" || got[1] != "4" {
		t.Errorf("after shrinking: %q", got)
	}
	if n, _ := term.Scrollback(); n != 2 {
		t.Errorf("scrollback %d, want the 2 lines that no longer fit", n)
	}
	term.Resize(12, 5)
	term.Write([]byte("\x1b[5;12Hz"))
	if x, y, _ := term.Cursor(); x != 11 || y != 4 {
		t.Errorf("cursor (%d,%d) after growing", x, y)
	}
}
