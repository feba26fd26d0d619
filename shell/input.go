package shell

import (
	"fmt"
	"image"
	"slices"
	"time"

	"github.com/go-gl/glfw/v3.3/glfw"
)

type dragKind int

const (
	dragNone   dragKind = iota
	dragMove            // title bar
	dragResize          // grip
	dragClose           // pressed on the close button; closes if released there
	dragText            // selecting text in the URL bar
)

type dragState struct {
	kind       dragKind
	win        *Window
	part       Part
	grab       image.Point // pointer minus window content origin (move) or start size (resize)
	start      image.Point // pointer at press
	lastResize time.Time   // throttles resize events to the module
	sentW      int
	sentH      int
}

// inputState is the pointer and keyboard routing state (main thread only).
type inputState struct {
	pos         image.Point // pointer, desktop pixels
	mods        uint32
	drag        dragState
	capture     *Window // window holding a pressed mouse button (gets move/up even outside)
	hoverWin    *Window
	hoverPart   Part
	hoverStrip  *Window
	hoverChip   string
	hoverButton int     // permission prompt button under the pointer, -1 when none
	focusSent   *Window // window that was last sent EvFocus

	lastClick    time.Time
	lastClickPos image.Point
	clickCount   int
}

func (s *Shell) installCallbacks() {
	w := s.win
	w.SetCursorPosCallback(func(_ *glfw.Window, x, y float64) {
		k := s.pixRatio / s.scale // screen coordinates to desktop pixels
		s.pointerMoved(image.Pt(int(x*k), int(y*k)))
	})
	w.SetMouseButtonCallback(func(_ *glfw.Window, b glfw.MouseButton, a glfw.Action, m glfw.ModifierKey) {
		s.input.mods = mods(m)
		if a == glfw.Press {
			s.pointerDown(int32(b))
		} else if a == glfw.Release {
			s.pointerUp(int32(b))
		}
	})
	w.SetScrollCallback(func(_ *glfw.Window, dx, dy float64) { s.scrolled(float32(dx), float32(dy)) })
	w.SetKeyCallback(func(_ *glfw.Window, k glfw.Key, _ int, a glfw.Action, m glfw.ModifierKey) {
		s.input.mods = mods(m)
		s.key(k, a, m)
	})
	w.SetCharCallback(func(_ *glfw.Window, r rune) { s.char(r) })
	w.SetFramebufferSizeCallback(func(_ *glfw.Window, fw, fh int) { s.resized(fw, fh) })
	w.SetRefreshCallback(func(*glfw.Window) { s.exposed = true; s.dirty.Store(true) })
}

func mods(m glfw.ModifierKey) uint32 {
	var out uint32
	if m&glfw.ModShift != 0 {
		out |= ModShift
	}
	if m&glfw.ModControl != 0 {
		out |= ModCtrl
	}
	if m&glfw.ModAlt != 0 {
		out |= ModAlt
	}
	if m&glfw.ModSuper != 0 {
		out |= ModSuper
	}
	return out
}

// post delivers ev to w's process, filling in the surface. Errors (the process just exited)
// are logged, never fatal.
func (s *Shell) post(w *Window, ev Event) {
	if w.Surface.Closed() {
		return // the process is ending; its input no longer matters
	}
	ev.Surface = w.Surface
	if ev.Mods == 0 {
		ev.Mods = s.input.mods
	}
	if err := s.host.PostEvent(w.PID, ev); err != nil {
		fmt.Fprintf(s.log, "orbital shell: event to pid %d: %v\n", w.PID, err)
	}
}

// sendFocus tells the focused window it has the keyboard (and the previous one it lost it).
func (s *Shell) sendFocus() {
	f := s.desk.Focused()
	if s.bar.Focused {
		f = nil
	}
	if f == s.input.focusSent {
		return
	}
	if s.input.focusSent != nil {
		s.post(s.input.focusSent, Event{Type: EvBlur})
	}
	if f != nil {
		s.post(f, Event{Type: EvFocus})
		if src, ok := s.sources[f.PID]; ok && !s.bar.Edited() {
			s.bar.Show(src)
		}
	}
	s.input.focusSent = f
}

func (s *Shell) setBarFocus(on bool) {
	if !on {
		s.hideCompletions()
	}
	s.bar.Focused = on
	s.sendFocus()
	s.dirty.Store(true)
}

// focusWindow raises w and gives it the keyboard.
func (s *Shell) focusWindow(w *Window) {
	s.desk.Raise(w)
	s.setBarFocus(false)
	s.sendFocus()
}

func (s *Shell) inBar(p image.Point) bool   { return p.Y < topBarH }
func (s *Shell) inStrip(p image.Point) bool { return p.Y >= s.h-taskStripH }
func (s *Shell) inErrLine(p image.Point) bool {
	return s.bar.errText != "" && p.Y >= topBarH && p.Y < topBarH+errorLineH
}

func (s *Shell) pointerDown(button int32) {
	p := s.input.pos
	now := time.Now()
	if now.Sub(s.input.lastClick) < 400*time.Millisecond && abs(p.X-s.input.lastClickPos.X) < 4 && abs(p.Y-s.input.lastClickPos.Y) < 4 {
		s.input.clickCount++
	} else {
		s.input.clickCount = 1
	}
	s.input.lastClick, s.input.lastClickPos = now, p
	s.dirty.Store(true)
	if s.promptPointerDown(p, button) || s.completePointerDown(p, button) {
		return
	}

	switch {
	case s.inBar(p):
		if button != 0 || !InField(s.w, p) {
			return
		}
		s.setBarFocus(true)
		pos := s.bar.PosAt(s.fonts, s.w, p.X)
		switch {
		case s.input.clickCount == 2:
			s.bar.Field.SelectWord(pos)
		case s.input.clickCount >= 3:
			s.bar.Field.SelectAll()
		default:
			s.bar.Field.MoveTo(pos, s.input.mods&ModShift != 0)
			s.input.drag = dragState{kind: dragText}
		}
		return
	case s.inErrLine(p):
		s.bar.SetError("")
		return
	case s.inStrip(p):
		if w := stripAt(s.strip, p.Sub(image.Pt(0, s.h-taskStripH))); w != nil && button == 0 {
			s.focusWindow(w)
		}
		return
	}
	if name := chipAt(s.chrome.chips, p); name != "" && button == 0 {
		s.bar.Field.SetText(name)
		s.submit(name)
		return
	}
	w, part := s.desk.At(p)
	if w == nil {
		return
	}
	s.focusWindow(w)
	switch part {
	case PartContent:
		if q, ok := w.ToSurface(p); ok {
			s.input.capture = w
			s.post(w, Event{Type: EvMouseDown, X: int32(q.X), Y: int32(q.Y), Code: button})
		}
	case PartTitle:
		if button == 0 && s.input.clickCount == 2 {
			nw, nh := s.desk.ToggleMaximize(w)
			s.post(w, Event{Type: EvResize, X: int32(nw), Y: int32(nh)})
			return
		}
		if button == 0 {
			s.input.drag = dragState{kind: dragMove, win: w, part: part, grab: p.Sub(w.content.Min)}
		}
	case PartClose:
		if button == 0 {
			s.input.drag = dragState{kind: dragClose, win: w, part: part}
		}
	case PartResize:
		if button == 0 {
			sz := w.content.Size()
			s.input.drag = dragState{kind: dragResize, win: w, part: part, grab: sz, start: p, sentW: sz.X, sentH: sz.Y}
		}
	}
}

func (s *Shell) pointerUp(button int32) {
	p := s.input.pos
	if s.promptPointerUp(p) {
		return
	}
	d := s.input.drag
	s.input.drag = dragState{}
	s.dirty.Store(true)
	switch d.kind {
	case dragClose:
		if w, part := s.desk.At(p); w == d.win && part == PartClose {
			s.closeWindow(w)
		}
	case dragResize:
		s.resizeTo(d.win, &d, true)
	}
	if c := s.input.capture; c != nil {
		q, _ := c.ToSurface(p)
		s.post(c, Event{Type: EvMouseUp, X: int32(q.X), Y: int32(q.Y), Code: button})
		s.input.capture = nil
	}
}

// closeWindow stops the window's process; its surfaces go away when it exits.
func (s *Shell) closeWindow(w *Window) {
	pid := w.PID
	go func() {
		if err := s.host.Kill(pid); err != nil {
			s.Do(func() { s.bar.SetError(fmt.Sprintf("Could not stop %s (pid %d): %v", w.Name, pid, err)) })
		}
	}()
}

func (s *Shell) pointerMoved(p image.Point) {
	s.input.pos = p
	d := &s.input.drag
	switch d.kind {
	case dragText:
		s.bar.Field.MoveTo(s.bar.PosAt(s.fonts, s.w, p.X), true)
		return
	case dragMove:
		q := p.Sub(d.grab)
		s.desk.Move(d.win, q.X, q.Y)
		return
	case dragResize:
		s.resizeTo(d.win, d, false)
		return
	}
	// Hover feedback for the close button, the grip and the task strip.
	hw, hp := s.desk.At(p)
	if s.promptHover(p) || s.completeHover(p) || s.inBar(p) || s.inStrip(p) || s.inErrLine(p) {
		hw, hp = nil, PartNone
	}
	var hs *Window
	if s.inStrip(p) {
		hs = stripAt(s.strip, p.Sub(image.Pt(0, s.h-taskStripH)))
	}
	hc := chipAt(s.chrome.chips, p)
	if hw != s.input.hoverWin || hp != s.input.hoverPart || hs != s.input.hoverStrip || hc != s.input.hoverChip {
		s.input.hoverWin, s.input.hoverPart, s.input.hoverStrip, s.input.hoverChip = hw, hp, hs, hc
		s.dirty.Store(true)
	}
	target := s.input.capture
	if target == nil && hp == PartContent && hw == s.desk.Focused() && !s.bar.Focused {
		target = hw
	}
	if target != nil {
		if q, ok := target.ToSurface(p); ok || target == s.input.capture {
			s.post(target, Event{Type: EvMouseMove, X: int32(q.X), Y: int32(q.Y)})
		}
	}
}

// resizeTo applies the grip drag to the window and tells the module its new size, at most
// every 50 ms while dragging and always at the end.
func (s *Shell) resizeTo(w *Window, d *dragState, final bool) {
	if w == nil {
		return
	}
	p := s.input.pos
	nw, nh := s.desk.Resize(w, d.grab.X+p.X-d.start.X, d.grab.Y+p.Y-d.start.Y)
	if (nw != d.sentW || nh != d.sentH) && (final || time.Since(d.lastResize) > 50*time.Millisecond) {
		s.post(w, Event{Type: EvResize, X: int32(nw), Y: int32(nh)})
		d.sentW, d.sentH, d.lastResize = nw, nh, time.Now()
	}
}

func (s *Shell) scrolled(dx, dy float32) {
	w, part := s.desk.At(s.input.pos)
	if w == nil || part != PartContent {
		return
	}
	q, ok := w.ToSurface(s.input.pos)
	if !ok {
		return
	}
	s.post(w, Event{Type: EvScroll, X: int32(q.X), Y: int32(q.Y), DX: dx, DY: dy})
}

func (s *Shell) key(k glfw.Key, a glfw.Action, m glfw.ModifierKey) {
	if s.promptKey(k, a) {
		return
	}
	ctrl := m&(glfw.ModControl|glfw.ModSuper) != 0
	if a != glfw.Release && ctrl && k == glfw.KeyL || a == glfw.Press && k == glfw.KeyF6 {
		s.setBarFocus(true)
		s.bar.Field.SelectAll()
		return
	}
	// Window shortcuts, as in a browser: Ctrl+Tab / Ctrl+Shift+Tab cycle the windows in
	// task-strip order, Ctrl+W closes the focused one.
	if a == glfw.Press && m&glfw.ModControl != 0 {
		switch k {
		case glfw.KeyTab:
			if w := nextWindow(s.desk.ByOrder(), s.desk.Focused(), m&glfw.ModShift != 0); w != nil {
				s.focusWindow(w)
			}
			return
		case glfw.KeyW:
			if w := s.desk.Focused(); w != nil {
				s.closeWindow(w)
			}
			return
		}
	}
	if s.bar.Focused {
		if a != glfw.Release && !s.completeKey(k) {
			s.barKey(k, m)
			s.barEdited()
			s.dirty.Store(true)
		}
		return
	}
	w := s.desk.Focused()
	if w == nil {
		if a == glfw.Press && k != glfw.KeyEscape {
			s.setBarFocus(true) // typing on an empty desktop goes to the bar
		}
		return
	}
	t := EvKeyDown
	if a == glfw.Release {
		t = EvKeyUp
	}
	s.post(w, Event{Type: t, Code: int32(k)})
}

func (s *Shell) char(r rune) {
	if s.bar.Focused {
		s.bar.History.Reset()
		s.bar.Field.Insert(string(r))
		s.barEdited()
		s.dirty.Store(true)
		return
	}
	if w := s.desk.Focused(); w != nil {
		s.post(w, Event{Type: EvChar, Code: r})
		return
	}
	s.setBarFocus(true)
	s.bar.Field.Insert(string(r))
}

// barKey edits the URL bar (key press or repeat).
func (s *Shell) barKey(k glfw.Key, m glfw.ModifierKey) {
	f := &s.bar.Field
	ctrl := m&(glfw.ModControl|glfw.ModSuper) != 0
	shift := m&glfw.ModShift != 0
	switch k {
	case glfw.KeyEnter, glfw.KeyKPEnter:
		s.submit(f.Text())
		f.SelectAll()
	case glfw.KeyEscape:
		switch {
		case s.cancelOpen():
		case s.bar.errText != "":
			s.bar.SetError("")
		case s.bar.Edited():
			s.bar.Show(s.bar.shown) // revert the edit, as a browser does
			f.SelectAll()
		case s.desk.Focused() != nil:
			s.setBarFocus(false)
		}
		s.bar.History.Reset()
	case glfw.KeyLeft:
		f.Left(ctrl, shift)
	case glfw.KeyRight:
		f.Right(ctrl, shift)
	case glfw.KeyHome:
		f.Home(shift)
	case glfw.KeyEnd:
		f.End(shift)
	case glfw.KeyBackspace:
		f.Backspace(ctrl)
		s.bar.History.Reset()
	case glfw.KeyDelete:
		f.Delete(ctrl)
		s.bar.History.Reset()
	case glfw.KeyUp:
		if t, ok := s.bar.History.Prev(f.Text()); ok {
			f.SetText(t)
		}
	case glfw.KeyDown:
		if t, ok := s.bar.History.Next(); ok {
			f.SetText(t)
		}
	case glfw.KeyA:
		if ctrl {
			f.SelectAll()
		}
	case glfw.KeyC, glfw.KeyX:
		if ctrl && f.HasSelection() {
			text := f.SelectedText()
			if k == glfw.KeyX {
				f.Cut()
			}
			glfw.SetClipboardString(text)
		}
	case glfw.KeyV:
		if ctrl {
			f.Insert(glfw.GetClipboardString())
		}
	}
}

// nextWindow is the window after cur in wins (before it with back), wrapping around; the
// first window when cur is not in wins.
func nextWindow(wins []*Window, cur *Window, back bool) *Window {
	if len(wins) == 0 {
		return nil
	}
	i := slices.Index(wins, cur)
	if i < 0 {
		return wins[0]
	}
	step := 1
	if back {
		step = len(wins) - 1
	}
	return wins[(i+step)%len(wins)]
}
