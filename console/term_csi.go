package console

// The escape sequences of the Terminal: CSI parameters and the sequences they end in (cursor
// movement, erasing, inserting and deleting, scroll regions, modes, SGR colours).

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

// sgrOn and sgrOff are the SGR codes that set and clear attributes.
var (
	sgrOn  = map[int]uint16{1: AttrBold, 2: AttrDim, 3: AttrItalic, 4: AttrUnderline, 7: AttrInverse, 8: AttrHidden, 9: AttrStrike}
	sgrOff = map[int]uint16{21: AttrBold | AttrDim, 22: AttrBold | AttrDim, 23: AttrItalic, 24: AttrUnderline, 27: AttrInverse, 28: AttrHidden, 29: AttrStrike}
)

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
		case sgrOn[p] != 0:
			t.pen.Attr |= sgrOn[p]
		case sgrOff[p] != 0:
			t.pen.Attr &^= sgrOff[p]
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
