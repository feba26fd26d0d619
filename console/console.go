package console

import (
	"context"
	"image"
	"io"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Surface is the window a console draws into: kernel.Surface and compositor.Surface have
// this shape.
type Surface interface {
	Present(pix []byte, stride int) error
	Resize(w, h int) error
	Close()
}

// Config configures a Console. The zero value is an 80x24 console with 5000 lines of
// scrollback and no clipboard.
type Config struct {
	Cols, Rows int     // the grid at start; default 80x24
	Scrollback int     // lines kept above the screen; default 5000
	FontSize   float64 // pixels; default 14
	// Copy puts selected text on the clipboard (Ctrl+Shift+C, or Ctrl+C with a selection).
	Copy func(text string)
	// Paste returns the clipboard's text (Ctrl+Shift+V, Shift+Insert).
	Paste func() string
	// Interrupt is called for Ctrl+C with nothing selected: the program should stop.
	Interrupt func()
}

// Event is an input event for the console, numbered as docs/abi.md's input events.
type Event struct {
	Type      uint32 // 1 key down, 2 key up, 3 char, 4 mouse move, 5 down, 6 up, 7 scroll, 8 resize
	X, Y      int32  // pixels in the window; for a resize, the new width and height
	Code      int32  // GLFW key code, mouse button, or the character's code point
	Modifiers uint32 // 1 shift, 2 ctrl, 4 alt, 8 super
	DX, DY    float32
}

// Console is a terminal window for a program without one: what the program writes to stdout
// and stderr (Output) is drawn as a terminal, and what the user types is edited a line at a
// time, echoed, and handed to the program's stdin (Stdin) when Enter is pressed; Ctrl+D ends
// the input. When the program ends (Exit) the window keeps its text and shows the status.
//
// New prepares it and starts nothing; Start starts its goroutine, which owns the terminal and
// draws into the window; Close stops it. Output, Event, Exit and Do may be called from any
// goroutine; Output blocks while the console is busy (so a program flooding it is slowed to
// what the console draws, not buffered without bound).
type Console struct {
	cfg  Config
	term *Terminal
	rend renderer
	in   *inputQueue

	out    chan []byte
	events chan Event
	exit   chan string
	calls  chan func()
	quit   chan struct{}
	done   chan struct{}
	start  sync.Once
	stop   sync.Once

	// Owned by the loop goroutine.
	surf      Surface
	line      []rune // what the user is typing, not yet sent
	scroll    int    // lines scrolled back from the bottom
	sel       selection
	ended     bool
	dirty     bool
	lastGen   uint64
	winW      int
	winH      int
	lastClick time.Time
}

// selection is in absolute line numbers (scrollback lines dropped so far + index), so it
// stays on the same text while lines scroll.
type selection struct {
	on, dragging bool
	anchor, head [2]int // line, column
}

// New returns a console for cfg; Start shows it.
func New(cfg Config) (*Console, error) {
	if cfg.Cols <= 0 || cfg.Rows <= 0 {
		cfg.Cols, cfg.Rows = 80, 24
	}
	if cfg.Scrollback == 0 {
		cfg.Scrollback = 5000
	}
	if cfg.FontSize <= 0 {
		cfg.FontSize = 14
	}
	face, err := NewFace(cfg.FontSize)
	if err != nil {
		return nil, err
	}
	c := &Console{cfg: cfg, term: NewTerminal(cfg.Cols, cfg.Rows, cfg.Scrollback), in: newInputQueue(),
		out: make(chan []byte), events: make(chan Event, 256), exit: make(chan string, 1),
		calls: make(chan func()), quit: make(chan struct{}), done: make(chan struct{})}
	c.rend.face = face
	c.winW, c.winH = c.pixelSize(cfg.Cols, cfg.Rows)
	return c, nil
}

// Size is the window size in pixels for the console's grid.
func (c *Console) Size() (w, h int) { return c.winW, c.winH }

func (c *Console) pixelSize(cols, rows int) (int, int) {
	return 2*Pad + cols*c.rend.face.W, 2*Pad + rows*c.rend.face.H
}

// Stdin is the program's standard input: the lines the user entered, then end of input.
func (c *Console) Stdin() io.Reader { return c.in }

// Output is where the program's stdout and stderr go.
func (c *Console) Output() io.Writer { return outWriter{c} }

type outWriter struct{ c *Console }

// maxChunk bounds one hand-over to the loop, so input events are seen between chunks.
const maxChunk = 32 << 10

func (w outWriter) Write(p []byte) (int, error) {
	for i := 0; i < len(p); i += maxChunk {
		b := append([]byte(nil), p[i:min(len(p), i+maxChunk)]...)
		select {
		case w.c.out <- b:
		case <-w.c.done:
			return len(p), nil // the window is gone: the output has nowhere to show
		}
	}
	return len(p), nil
}

// Event queues an input event; it never blocks (a flood of events drops the newest).
func (c *Console) Event(e Event) {
	select {
	case c.events <- e:
	default:
	}
}

// Exit tells the console its program ended; status is shown on the last line.
func (c *Console) Exit(status string) {
	select {
	case c.exit <- status:
	default:
	}
}

// Do runs fn with the terminal on the console's goroutine and waits for it (false if the
// console is closed). Tests and the shell's screenshots read the screen this way.
func (c *Console) Do(ctx context.Context, fn func(t *Terminal)) bool {
	ran := make(chan struct{})
	select {
	case c.calls <- func() { fn(c.term); close(ran) }:
	case <-c.done:
		return false
	case <-ctx.Done():
		return false
	}
	<-ran
	return true
}

// Start draws into s from now on, on a goroutine of its own. It may be called once.
func (c *Console) Start(s Surface) {
	c.start.Do(func() {
		c.surf = s
		c.rend.img = image.NewRGBA(image.Rect(0, 0, c.winW, c.winH))
		go c.loop()
	})
}

// Close stops the console's goroutine, ends the program's input and closes the window.
// Calling it twice is harmless.
func (c *Console) Close() {
	c.stop.Do(func() {
		c.in.end()
		close(c.quit)
		c.start.Do(func() { close(c.done) }) // never started
		<-c.done
	})
}

// frameInterval paces drawing: at most 30 pictures a second however fast output comes.
const frameInterval = time.Second / 30

func (c *Console) loop() {
	defer close(c.done)
	defer func() {
		if c.surf != nil {
			c.surf.Close()
		}
	}()
	tick := time.NewTimer(time.Hour)
	defer tick.Stop()
	armed := false
	c.dirty = true
	for {
		if c.dirty && !armed {
			tick.Reset(frameInterval)
			armed = true
		}
		select {
		case <-c.quit:
			return
		case b := <-c.out:
			c.term.Write(b)
			c.dirty = true
		case e := <-c.events:
			c.event(e)
		case s := <-c.exit:
			c.ended = true
			c.in.end()
			c.term.Write([]byte("\x1b[0m\r\n\x1b[2m[" + s + "]\x1b[0m"))
			c.dirty = true
		case fn := <-c.calls:
			fn()
		case <-tick.C:
			armed = false
			c.draw()
		}
	}
}

// draw presents the current view if it changed.
func (c *Console) draw() {
	c.dirty = false
	v := c.view()
	if c.rend.drawView(v) {
		c.surf.Present(c.rend.img.Pix, c.rend.img.Stride)
	}
}

// view is the rows on show: the screen, or scrolled back into the scrollback.
func (c *Console) view() view {
	t := c.term
	cols, rows := t.Size()
	sbLen, dropped := t.Scrollback()
	if t.AltScreen() {
		c.scroll = 0
	}
	c.scroll = min(c.scroll, sbLen)
	v := view{rows: make([][]Cell, rows), cursorY: -1}
	first := sbLen - c.scroll // index in scrollback++screen of the first row shown
	for y := range rows {
		i := first + y
		var row []Cell
		if i < sbLen {
			row = t.ScrollbackRow(i)
		} else {
			row = t.Row(i - sbLen)
		}
		if len(row) != cols { // a line kept before a resize
			r := make([]Cell, cols)
			copy(r, row)
			row = r
		}
		v.rows[y] = row
	}
	if x, y, on := t.Cursor(); on && !c.ended && y+c.scroll < rows {
		v.cursorX, v.cursorY = x, y+c.scroll
	}
	if c.sel.on {
		a, b := c.sel.ordered()
		base := int(dropped) + first
		v.sel = func(x, y int) bool {
			p := [2]int{base + y, x}
			return !less(p, a) && less(p, b) || p == b
		}
	}
	return v
}

func less(a, b [2]int) bool { return a[0] < b[0] || a[0] == b[0] && a[1] < b[1] }

func (s selection) ordered() ([2]int, [2]int) {
	if less(s.head, s.anchor) {
		return s.head, s.anchor
	}
	return s.anchor, s.head
}

// GLFW key codes the console reads.
const (
	keyC        = 67
	keyD        = 68
	keyU        = 85
	keyV        = 86
	keyEnter    = 257
	keyBack     = 259
	keyInsert   = 260
	keyPageUp   = 266
	keyPageDown = 267
	keyKPEnter  = 335
	modShift    = 1
	modCtrl     = 2
)

func (c *Console) event(e Event) {
	switch e.Type {
	case 1: // key down
		c.key(e.Code, e.Modifiers)
	case 3: // char
		if e.Modifiers&modCtrl == 0 {
			c.typeText(string(rune(e.Code)))
		}
	case 5, 4, 6: // mouse down, move, up
		c.mouse(e)
	case 7: // scroll
		switch {
		case e.DY > 0:
			c.scroll += 3
		case e.DY < 0:
			c.scroll = max(0, c.scroll-3)
		}
		c.dirty = true
	case 8: // resize
		c.resize(int(e.X), int(e.Y))
	}
}

func (c *Console) key(code int32, mods uint32) {
	ctrl, shift := mods&modCtrl != 0, mods&modShift != 0
	_, rows := c.term.Size()
	switch {
	case ctrl && code == keyC && (shift || c.sel.on):
		c.copySelection()
	case ctrl && code == keyC:
		c.echo("^C\r\n")
		c.line = c.line[:0]
		if c.cfg.Interrupt != nil && !c.ended {
			c.cfg.Interrupt()
		}
	case ctrl && shift && code == keyV, shift && code == keyInsert:
		if c.cfg.Paste != nil {
			c.typeText(c.cfg.Paste())
		}
	case ctrl && code == keyD:
		c.endOfInput()
	case ctrl && code == keyU:
		for range c.line {
			c.echo("\b \b")
		}
		c.line = c.line[:0]
	case code == keyEnter || code == keyKPEnter:
		c.typeText("\n")
	case code == keyBack:
		if len(c.line) > 0 && !c.ended {
			c.line = c.line[:len(c.line)-1]
			c.echo("\b \b")
		}
	case code == keyPageUp:
		c.scroll += rows - 1
		c.dirty = true
	case code == keyPageDown:
		c.scroll = max(0, c.scroll-(rows-1))
		c.dirty = true
	}
}

// typeText edits the line with s as if typed: a newline sends the line to the program.
func (c *Console) typeText(s string) {
	if c.ended {
		return
	}
	c.scroll, c.sel = 0, selection{} // typing shows the bottom, as terminals do
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r':
			c.echo("\r\n")
			c.in.push([]byte(string(c.line) + "\n"))
			c.line = c.line[:0]
		case r == '\t' || r >= ' ' && r != 0x7f:
			c.line = append(c.line, r)
			c.echo(string(r))
		}
	}
}

// endOfInput is Ctrl+D: with an empty line, the end of the program's input; otherwise the
// line so far is sent without a newline, as a terminal does.
func (c *Console) endOfInput() {
	if c.ended {
		return
	}
	if len(c.line) == 0 {
		c.in.end()
		return
	}
	c.in.push([]byte(string(c.line)))
	c.line = c.line[:0]
}

func (c *Console) echo(s string) {
	c.term.Write([]byte(s))
	c.dirty = true
}

// cellAt maps a window pixel to a (absolute line, column) of the view.
func (c *Console) cellAt(px, py int) [2]int {
	cols, rows := c.term.Size()
	f := c.rend.face
	x := min(max(0, (px-Pad)/f.W), cols-1)
	y := min(max(0, (py-Pad)/f.H), rows-1)
	sbLen, dropped := c.term.Scrollback()
	return [2]int{int(dropped) + sbLen - c.scroll + y, x}
}

func (c *Console) mouse(e Event) {
	p := c.cellAt(int(e.X), int(e.Y))
	switch e.Type {
	case 5:
		if e.Code != 0 {
			return
		}
		c.sel = selection{on: true, dragging: true, anchor: p, head: p}
	case 4:
		if !c.sel.dragging {
			return
		}
		c.sel.head = p
	case 6:
		if !c.sel.dragging {
			return
		}
		c.sel.dragging = false
		c.sel.head = p
		if c.sel.head == c.sel.anchor {
			c.sel = selection{}
		}
	}
	c.dirty = true
}

// copySelection puts the selected text on the clipboard, one line per row with trailing
// blanks removed.
func (c *Console) copySelection() {
	if !c.sel.on || c.cfg.Copy == nil {
		return
	}
	a, b := c.sel.ordered()
	sbLen, dropped := c.term.Scrollback()
	_, rows := c.term.Size()
	var out []string
	for ln := a[0]; ln <= b[0]; ln++ {
		i := ln - int(dropped)
		var row []Cell
		switch {
		case i < 0:
			continue // scrolled out of the scrollback meanwhile
		case i < sbLen:
			row = c.term.ScrollbackRow(i)
		case i-sbLen < rows:
			row = c.term.Row(i - sbLen)
		}
		from, to := 0, len(row)
		if ln == a[0] {
			from = min(a[1], len(row))
		}
		if ln == b[0] {
			to = min(b[1]+1, len(row))
		}
		var sb strings.Builder
		for _, cell := range row[from:max(from, to)] {
			r := cell.R
			if r == 0 || !utf8.ValidRune(r) {
				r = ' '
			}
			sb.WriteRune(r)
		}
		out = append(out, strings.TrimRight(sb.String(), " "))
	}
	c.cfg.Copy(strings.Join(out, "\n"))
}

// resize makes the window w x h exactly (so the shell shows it 1:1) and the grid the whole
// cells that fit in it.
func (c *Console) resize(w, h int) {
	if w < 1 || h < 1 || w > 8192 || h > 8192 {
		return
	}
	f := c.rend.face
	cols, rows := max(1, (w-2*Pad)/f.W), max(1, (h-2*Pad)/f.H)
	c.term.Resize(cols, rows)
	if err := c.surf.Resize(w, h); err != nil {
		return
	}
	c.winW, c.winH = w, h
	c.rend.img = image.NewRGBA(image.Rect(0, 0, w, h))
	c.rend.last = nil
	c.dirty = true
}
