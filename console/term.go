package console

import "unicode/utf8"

// Color is a cell colour: 0 is the terminal's default, 1..256 the xterm palette entry n-1, and
// with rgbFlag set, 24-bit RGB in the low bits.
type Color uint32

const rgbFlag Color = 1 << 24

// Attributes of a cell.
const (
	AttrBold uint16 = 1 << iota
	AttrDim
	AttrItalic
	AttrUnderline
	AttrInverse
	AttrHidden
	AttrStrike
)

// Cell is one character position of the terminal.
type Cell struct {
	R      rune // 0 is blank
	FG, BG Color
	Attr   uint16
}

// Terminal is a VT100/xterm-style screen: a grid of cells, a cursor, an alternate screen and a
// bounded scrollback. Write feeds it what a program prints. It handles what common programs
// use: UTF-8 text, CR/LF/BS/TAB, SGR colours (16, 256 and 24-bit) and attributes, cursor
// movement and positioning, erasing, inserting and deleting characters and lines, scroll
// regions, save/restore cursor, cursor visibility and the alternate screen. Queries (device
// status, attributes) get no answer: the console's input is a line editor, not a raw tty.
// OSC, DCS and other strings are skipped whole. A Terminal is used by one goroutine.
type Terminal struct {
	cols, rows int
	screen     [][]Cell // rows of the screen on show
	main, alt  [][]Cell
	altActive  bool
	sb         scrollback

	cx, cy      int
	wrapPending bool // the last column was written: the next character wraps first
	pen         Cell // colours and attributes of new characters
	top, bot    int  // scroll region, rows [top, bot]
	autowrap    bool
	cursorOn    bool
	saved       savedCursor
	altSaved    savedCursor

	// Parser.
	state  int
	params []int
	cur    int  // the parameter being read, -1 when none yet
	priv   byte // private marker of a CSI ('?', '>', '=') or 0
	utf    [4]byte
	nutf   int
	title  string
	osc    []byte

	// Gen counts changes: the renderer redraws when it differs.
	Gen uint64
}

type savedCursor struct {
	x, y int
	pen  Cell
}

const (
	stGround = iota
	stEsc
	stEscSkip // ESC ( X and friends: skip one byte
	stCSI
	stOSC
	stOSCEsc
	stString // DCS, SOS, PM, APC: skip to ST
	stStringEsc
)

// NewTerminal returns a cols x rows terminal keeping at most scrollback lines.
func NewTerminal(cols, rows, scrollback int) *Terminal {
	t := &Terminal{autowrap: true, cursorOn: true}
	t.sb.max = scrollback
	t.main = makeGrid(cols, rows)
	t.alt = makeGrid(cols, rows)
	t.screen = t.main
	t.cols, t.rows = cols, rows
	t.top, t.bot = 0, rows-1
	return t
}

func makeGrid(cols, rows int) [][]Cell {
	g := make([][]Cell, rows)
	for i := range g {
		g[i] = make([]Cell, cols)
	}
	return g
}

// Size returns the terminal's columns and rows.
func (t *Terminal) Size() (cols, rows int) { return t.cols, t.rows }

// Cursor returns the cursor's column and row and whether it is shown.
func (t *Terminal) Cursor() (x, y int, visible bool) { return t.cx, t.cy, t.cursorOn }

// Title is the last title a program set (OSC 0 or 2).
func (t *Terminal) Title() string { return t.title }

// Row returns screen row y (valid until the next Write or Resize).
func (t *Terminal) Row(y int) []Cell { return t.screen[y] }

// Scrollback returns how many lines the scrollback holds and how many it has dropped since
// the start (line numbers stay stable: absolute line n is scrollback line n-Dropped).
func (t *Terminal) Scrollback() (lines int, dropped uint64) { return t.sb.n, t.sb.dropped }

// ScrollbackRow returns scrollback line i, 0 the oldest kept (the main screen only; the
// alternate screen has none).
func (t *Terminal) ScrollbackRow(i int) []Cell { return t.sb.line(i) }

// AltScreen reports whether the alternate screen is on show.
func (t *Terminal) AltScreen() bool { return t.altActive }

// Write interprets p. It never fails and never blocks.
func (t *Terminal) Write(p []byte) (int, error) {
	t.Gen++
	for _, b := range p {
		t.byte(b)
	}
	return len(p), nil
}

func (t *Terminal) byte(b byte) {
	switch t.state {
	case stGround:
		t.ground(b)
	case stEsc:
		t.esc(b)
	case stEscSkip:
		t.state = stGround
	case stCSI:
		t.csiByte(b)
	case stOSC:
		switch b {
		case 7:
			t.oscEnd()
		case 0x1b:
			t.state = stOSCEsc
		default:
			if len(t.osc) < 4096 {
				t.osc = append(t.osc, b)
			}
		}
	case stOSCEsc:
		t.oscEnd() // ESC \ (or any ESC) ends it
		if b != '\\' {
			t.state = stEsc
			t.esc(b)
		}
	case stString:
		if b == 0x1b {
			t.state = stStringEsc
		} else if b == 7 {
			t.state = stGround
		}
	case stStringEsc:
		t.state = stString
		if b == '\\' {
			t.state = stGround
		}
	}
}

func (t *Terminal) ground(b byte) {
	if t.nutf > 0 || b >= 0x80 {
		t.utf8Byte(b)
		return
	}
	switch {
	case b >= 0x20 && b < 0x7f:
		t.put(rune(b))
	case b == 0x1b:
		t.state = stEsc
	case b == '\n', b == 0x0b, b == 0x0c:
		// A tty's output processing turns \n into \r\n (onlcr); programs count on it.
		t.cx = 0
		t.lineFeed()
	case b == '\r':
		t.cx, t.wrapPending = 0, false
	case b == '\b':
		if t.cx > 0 {
			t.cx--
		}
		t.wrapPending = false
	case b == '\t':
		t.cx = min(t.cols-1, (t.cx/8+1)*8)
		t.wrapPending = false
	}
}

func (t *Terminal) utf8Byte(b byte) {
	if t.nutf > 0 && b&0xc0 != 0x80 { // a broken sequence: show it and start afresh
		t.nutf = 0
		t.put(utf8.RuneError)
		t.ground(b)
		return
	}
	t.utf[t.nutf] = b
	t.nutf++
	if r, size := utf8.DecodeRune(t.utf[:t.nutf]); r != utf8.RuneError || size > 1 {
		t.nutf = 0
		t.put(r)
		return
	}
	if t.nutf == 4 || !utf8.RuneStart(t.utf[0]) || t.utf[0] >= 0xf8 {
		t.nutf = 0
		t.put(utf8.RuneError)
	}
}

// put writes r at the cursor and moves it on, wrapping at the last column.
func (t *Terminal) put(r rune) {
	if t.wrapPending {
		t.cx = 0
		t.lineFeed()
	}
	c := t.pen
	c.R = r
	t.screen[t.cy][t.cx] = c
	if t.cx == t.cols-1 {
		t.wrapPending = t.autowrap
	} else {
		t.cx++
	}
}

// lineFeed moves the cursor down a row, scrolling the region when it is at its bottom.
func (t *Terminal) lineFeed() {
	t.wrapPending = false
	if t.cy == t.bot {
		t.scrollUp(t.top, t.bot, 1)
	} else if t.cy < t.rows-1 {
		t.cy++
	}
}

// scrollUp moves rows top+n..bot up by n, blanking the bottom n. Rows leaving the top of a
// full-screen region of the main screen go to the scrollback.
func (t *Terminal) scrollUp(top, bot, n int) {
	n = min(n, bot-top+1)
	for i := 0; i < n; i++ {
		row := t.screen[top]
		if top == 0 && !t.altActive {
			row = t.sb.push(row)
		}
		copy(t.screen[top:bot], t.screen[top+1:bot+1])
		t.screen[bot] = t.blank(row)
	}
}

func (t *Terminal) scrollDown(top, bot, n int) {
	n = min(n, bot-top+1)
	for i := 0; i < n; i++ {
		row := t.screen[bot]
		copy(t.screen[top+1:bot+1], t.screen[top:bot])
		t.screen[top] = t.blank(row)
	}
}

// blank clears row (reusing it) with the pen's background, as erasing does.
func (t *Terminal) blank(row []Cell) []Cell {
	if len(row) != t.cols {
		row = make([]Cell, t.cols)
	}
	e := Cell{BG: t.pen.BG}
	for i := range row {
		row[i] = e
	}
	return row
}

func (t *Terminal) clearCells(y, from, to int) {
	e := Cell{BG: t.pen.BG}
	row := t.screen[y]
	for x := max(0, from); x < min(to, t.cols); x++ {
		row[x] = e
	}
}

func (t *Terminal) esc(b byte) {
	t.state = stGround
	switch b {
	case '[':
		t.state, t.params, t.cur, t.priv = stCSI, t.params[:0], -1, 0
	case ']':
		t.state, t.osc = stOSC, t.osc[:0]
	case 'P', 'X', '^', '_':
		t.state = stString
	case '(', ')', '*', '+', '-', '.', '/', '#', '%', ' ':
		t.state = stEscSkip
	case '7':
		t.saved = savedCursor{t.cx, t.cy, t.pen}
	case '8':
		t.restoreCursor(t.saved)
	case 'D':
		t.lineFeed()
	case 'E':
		t.cx = 0
		t.lineFeed()
	case 'M':
		t.wrapPending = false
		if t.cy == t.top {
			t.scrollDown(t.top, t.bot, 1)
		} else if t.cy > 0 {
			t.cy--
		}
	case 'c':
		*t = *NewTerminal(t.cols, t.rows, t.sb.max)
	}
}

func (t *Terminal) restoreCursor(s savedCursor) {
	t.cx, t.cy, t.pen = min(s.x, t.cols-1), min(s.y, t.rows-1), s.pen
	t.wrapPending = false
}

func (t *Terminal) oscEnd() {
	t.state = stGround
	if len(t.osc) > 2 && (t.osc[0] == '0' || t.osc[0] == '2') && t.osc[1] == ';' {
		t.title = string(t.osc[2:])
	}
}

// Resize changes the grid to cols x rows. Rows that no longer fit above the cursor go to the
// scrollback; lines are cut or padded, not reflowed.
func (t *Terminal) Resize(cols, rows int) {
	if cols < 1 || rows < 1 || (cols == t.cols && rows == t.rows) {
		return
	}
	t.Gen++
	for t.cy >= rows { // keep the cursor's line on screen
		if !t.altActive {
			t.sb.push(t.main[0])
		}
		t.main = t.main[1:]
		t.alt = t.alt[1:]
		t.cy--
	}
	resize := func(g [][]Cell) [][]Cell {
		out := make([][]Cell, rows)
		for y := range out {
			out[y] = make([]Cell, cols)
			if y < len(g) {
				copy(out[y], g[y])
			}
		}
		return out
	}
	t.main, t.alt = resize(t.main), resize(t.alt)
	t.screen = t.main
	if t.altActive {
		t.screen = t.alt
	}
	t.cols, t.rows = cols, rows
	t.top, t.bot = 0, rows-1
	t.cx = min(t.cx, cols-1)
	t.wrapPending = false
}

// scrollback is a ring of the lines that scrolled off the top, at most max.
type scrollback struct {
	lines   [][]Cell
	start   int // index of the oldest line in lines
	n       int
	max     int
	dropped uint64
}

// push keeps a copy of row and returns a row buffer the caller may reuse.
func (s *scrollback) push(row []Cell) []Cell {
	if s.max <= 0 {
		return row
	}
	if s.n < s.max {
		s.lines = append(s.lines, row)
		s.n++
		return nil
	}
	old := s.lines[s.start]
	s.lines[s.start] = row
	s.start = (s.start + 1) % s.max
	s.dropped++
	return old
}

func (s *scrollback) line(i int) []Cell {
	if i < 0 || i >= s.n {
		return nil
	}
	return s.lines[(s.start+i)%len(s.lines)]
}

func (s *scrollback) clear() {
	s.dropped += uint64(s.n)
	s.lines, s.start, s.n = nil, 0, 0
}
