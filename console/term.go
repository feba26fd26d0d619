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

func (t *Terminal) csiByte(b byte) {
	switch {
	case b >= '0' && b <= '9':
		if t.cur < 0 {
			t.cur = 0
		}
		if t.cur < 1<<20 {
			t.cur = t.cur*10 + int(b-'0')
		}
	case b == ';' || b == ':':
		t.params = append(t.params, max(t.cur, -1))
		t.cur = -1
	case b == '?' || b == '>' || b == '=' || b == '<':
		t.priv = b
	case b >= 0x20 && b <= 0x2f: // intermediate bytes: none of the sequences handled has one
	case b >= 0x40 && b <= 0x7e:
		if t.cur >= 0 || len(t.params) > 0 {
			t.params = append(t.params, t.cur)
		}
		t.state = stGround
		if len(t.params) <= 32 {
			t.csi(b)
		}
	case b == 0x1b:
		t.state = stEsc
	default:
		// C0 controls inside a CSI act as usual.
		if b < 0x20 {
			t.ground(b)
		}
	}
}

// param returns parameter i, or def when it is missing or zero-length.
func (t *Terminal) param(i, def int) int {
	if i < len(t.params) && t.params[i] > 0 {
		return t.params[i]
	}
	return def
}

func (t *Terminal) csi(final byte) {
	if t.priv == '?' {
		t.privateMode(final)
		return
	}
	if t.priv != 0 {
		return
	}
	n := t.param(0, 1)
	t.wrapPending = false
	switch final {
	case 'A':
		t.cy = max(t.cy-n, 0)
	case 'B', 'e':
		t.cy = min(t.cy+n, t.rows-1)
	case 'C', 'a':
		t.cx = min(t.cx+n, t.cols-1)
	case 'D':
		t.cx = max(t.cx-n, 0)
	case 'E':
		t.cx, t.cy = 0, min(t.cy+n, t.rows-1)
	case 'F':
		t.cx, t.cy = 0, max(t.cy-n, 0)
	case 'G', '`':
		t.cx = min(n, t.cols) - 1
	case 'd':
		t.cy = min(n, t.rows) - 1
	case 'H', 'f':
		t.cy, t.cx = min(t.param(0, 1), t.rows)-1, min(t.param(1, 1), t.cols)-1
	case 'J':
		t.eraseDisplay(t.param(0, 0))
	case 'K':
		switch t.param(0, 0) {
		case 0:
			t.clearCells(t.cy, t.cx, t.cols)
		case 1:
			t.clearCells(t.cy, 0, t.cx+1)
		case 2:
			t.clearCells(t.cy, 0, t.cols)
		}
	case 'L':
		if t.cy >= t.top && t.cy <= t.bot {
			t.scrollDown(t.cy, t.bot, n)
		}
	case 'M':
		if t.cy >= t.top && t.cy <= t.bot {
			t.scrollUpNoSave(t.cy, t.bot, n)
		}
	case '@':
		row := t.screen[t.cy]
		n = min(n, t.cols-t.cx)
		copy(row[t.cx+n:], row[t.cx:t.cols-n])
		t.clearCells(t.cy, t.cx, t.cx+n)
	case 'P':
		row := t.screen[t.cy]
		n = min(n, t.cols-t.cx)
		copy(row[t.cx:], row[t.cx+n:])
		t.clearCells(t.cy, t.cols-n, t.cols)
	case 'X':
		t.clearCells(t.cy, t.cx, t.cx+n)
	case 'S':
		t.scrollUpNoSave(t.top, t.bot, n)
	case 'T':
		t.scrollDown(t.top, t.bot, n)
	case 'm':
		t.sgr()
	case 'r':
		top, bot := t.param(0, 1)-1, t.param(1, t.rows)-1
		if top < bot && bot < t.rows {
			t.top, t.bot = top, bot
			t.cx, t.cy = 0, 0
		}
	case 's':
		t.saved = savedCursor{t.cx, t.cy, t.pen}
	case 'u':
		t.restoreCursor(t.saved)
	}
}

// scrollUpNoSave scrolls a region without feeding the scrollback (deleting lines, CSI S).
func (t *Terminal) scrollUpNoSave(top, bot, n int) {
	n = min(n, bot-top+1)
	for i := 0; i < n; i++ {
		row := t.screen[top]
		copy(t.screen[top:bot], t.screen[top+1:bot+1])
		t.screen[bot] = t.blank(row)
	}
}

func (t *Terminal) eraseDisplay(mode int) {
	switch mode {
	case 0:
		t.clearCells(t.cy, t.cx, t.cols)
		for y := t.cy + 1; y < t.rows; y++ {
			t.clearCells(y, 0, t.cols)
		}
	case 1:
		for y := 0; y < t.cy; y++ {
			t.clearCells(y, 0, t.cols)
		}
		t.clearCells(t.cy, 0, t.cx+1)
	case 2:
		for y := range t.rows {
			t.clearCells(y, 0, t.cols)
		}
	case 3:
		t.sb.clear()
	}
}

func (t *Terminal) privateMode(final byte) {
	if final != 'h' && final != 'l' {
		return
	}
	on := final == 'h'
	for _, p := range t.params {
		switch p {
		case 7:
			t.autowrap = on
		case 25:
			t.cursorOn = on
		case 47, 1047, 1049:
			t.setAlt(on, p == 1049)
		}
	}
}

// setAlt switches to (on) or from the alternate screen; 1049 also saves and restores the
// cursor and clears the alternate screen on entry.
func (t *Terminal) setAlt(on, saveCursor bool) {
	if on == t.altActive {
		return
	}
	if on {
		if saveCursor {
			t.altSaved = savedCursor{t.cx, t.cy, t.pen}
		}
		t.altActive, t.screen = true, t.alt
		for y := range t.rows {
			t.clearCells(y, 0, t.cols)
		}
		return
	}
	t.altActive, t.screen = false, t.main
	if saveCursor {
		t.restoreCursor(t.altSaved)
	}
}

func (t *Terminal) sgr() {
	if len(t.params) == 0 {
		t.pen = Cell{}
		return
	}
	for i := 0; i < len(t.params); i++ {
		p := max(t.params[i], 0)
		switch {
		case p == 0:
			t.pen = Cell{}
		case p == 1:
			t.pen.Attr |= AttrBold
		case p == 2:
			t.pen.Attr |= AttrDim
		case p == 3:
			t.pen.Attr |= AttrItalic
		case p == 4:
			t.pen.Attr |= AttrUnderline
		case p == 7:
			t.pen.Attr |= AttrInverse
		case p == 8:
			t.pen.Attr |= AttrHidden
		case p == 9:
			t.pen.Attr |= AttrStrike
		case p == 21 || p == 22:
			t.pen.Attr &^= AttrBold | AttrDim
		case p == 23:
			t.pen.Attr &^= AttrItalic
		case p == 24:
			t.pen.Attr &^= AttrUnderline
		case p == 27:
			t.pen.Attr &^= AttrInverse
		case p == 28:
			t.pen.Attr &^= AttrHidden
		case p == 29:
			t.pen.Attr &^= AttrStrike
		case p >= 30 && p <= 37:
			t.pen.FG = Color(p-30) + 1
		case p == 38 || p == 48:
			c, used := t.extColor(i + 1)
			i += used
			if p == 38 {
				t.pen.FG = c
			} else {
				t.pen.BG = c
			}
		case p == 39:
			t.pen.FG = 0
		case p >= 40 && p <= 47:
			t.pen.BG = Color(p-40) + 1
		case p == 49:
			t.pen.BG = 0
		case p >= 90 && p <= 97:
			t.pen.FG = Color(p-90+8) + 1
		case p >= 100 && p <= 107:
			t.pen.BG = Color(p-100+8) + 1
		}
	}
}

// extColor reads the rest of an SGR 38/48: 5;n or 2;r;g;b. It returns the colour and how many
// parameters it used.
func (t *Terminal) extColor(i int) (Color, int) {
	if i >= len(t.params) {
		return 0, 0
	}
	switch t.params[i] {
	case 5:
		if i+1 < len(t.params) {
			return Color(min(max(t.params[i+1], 0), 255)) + 1, 2
		}
	case 2:
		if i+3 < len(t.params) {
			c := func(v int) Color { return Color(min(max(v, 0), 255)) }
			return rgbFlag | c(t.params[i+1])<<16 | c(t.params[i+2])<<8 | c(t.params[i+3]), 4
		}
	}
	return 0, len(t.params) - i
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
