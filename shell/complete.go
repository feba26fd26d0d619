package shell

import (
	"context"
	"fmt"
	"image"
	"strings"
	"time"

	"github.com/go-gl/glfw/v3.3/glfw"
)

// Completion is one suggestion under the URL bar while the user types: a module the Host can
// open, with what it says about it.
type Completion struct {
	Text        string // what choosing it opens ("clock", "orbital://blurview")
	Name        string // shown in bold
	Detail      string // shown dim after the name: a version, "demo"
	Description string
}

// Completer is implemented by a Host that can suggest what to open for the text typed so far
// (the registry's search, the demo modules). Complete runs off the main thread; it should
// return quickly (the shell gives it completeTimeout) and at most a handful of items, best
// first.
type Completer interface {
	Complete(ctx context.Context, text string) ([]Completion, error)
}

// Completion list behaviour: a query runs completeDelay after the last keystroke (typing fast
// does not search on every key), and a newer query or a hidden list cancels an older one.
// While the list shows, Down/Up move the selection (Up from the first row goes back to the
// typed text), Enter opens the selected row (or the typed text when none is selected), Tab
// fills the bar with the selected or first row, Escape hides the list; a click opens a row.
const (
	completeDelay   = 80 * time.Millisecond
	completeTimeout = 2 * time.Second
	completeMax     = 6
	completeRowH    = 34
	completeMaxW    = 640
)

// completeState is the list under the bar. Main thread only.
type completeState struct {
	items  []Completion
	sel    int    // selected row, -1 for none
	hover  int    // row under the pointer, -1 for none
	query  string // the text the items answer (or are being fetched for)
	gen    uint64 // bumped by every new query and every hide; a late answer is dropped
	cancel context.CancelFunc
	key    string // what the surface shows, to skip unchanged frames
}

// completeRect is the list's rectangle on the desktop for n rows.
func completeRect(width, n int) image.Rectangle {
	f := fieldRect(width)
	w := min(f.Dx(), completeMaxW)
	return image.Rect(f.Min.X, topBarH-4, f.Min.X+w, topBarH-4+n*completeRowH+8)
}

// barEdited follows a change of the bar's text: it asks the Host for completions of the new
// text (after completeDelay), or hides the list when there is nothing to complete.
func (s *Shell) barEdited() {
	text := s.bar.Field.Text()
	c := &s.comp
	if text == c.query {
		return
	}
	s.hideCompletions()
	c.query = text
	comp, ok := s.host.(Completer)
	q := strings.TrimSpace(text)
	if !ok || q == "" || !s.bar.Focused {
		return
	}
	gen := c.gen
	ctx, cancel := context.WithTimeout(s.ctx, completeDelay+completeTimeout)
	c.cancel = cancel
	go func() {
		defer cancel()
		t := time.NewTimer(completeDelay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
		items, err := comp.Complete(ctx, q)
		if err != nil || ctx.Err() != nil {
			return
		}
		if len(items) > completeMax {
			items = items[:completeMax]
		}
		s.Do(func() {
			if c.gen != gen || !s.bar.Focused || s.bar.Field.Text() != text {
				return
			}
			c.items, c.sel, c.hover = items, -1, -1
			s.dirty.Store(true)
		})
	}()
}

// hideCompletions takes the list down and forgets pending queries.
func (s *Shell) hideCompletions() {
	c := &s.comp
	c.gen++
	if c.cancel != nil {
		c.cancel()
		c.cancel = nil
	}
	c.query = ""
	if len(c.items) > 0 {
		c.items = nil
		s.dirty.Store(true)
	}
	c.sel, c.hover = -1, -1
}

// completing reports whether the list is on show.
func (s *Shell) completing() bool {
	return len(s.comp.items) > 0 && s.bar.Focused && len(s.prompts) == 0
}

// completeKey handles the list's keys; it reports whether it used k.
func (s *Shell) completeKey(k glfw.Key) bool {
	c := &s.comp
	if !s.completing() {
		return false
	}
	f := &s.bar.Field
	switch k {
	case glfw.KeyDown:
		c.sel = min(c.sel+1, len(c.items)-1)
	case glfw.KeyUp:
		c.sel = max(c.sel-1, -1)
	case glfw.KeyEnter, glfw.KeyKPEnter:
		if c.sel < 0 {
			return false // open what was typed
		}
		text := c.items[c.sel].Text
		f.SetText(text)
		s.hideCompletions()
		s.submit(text)
		f.SelectAll()
	case glfw.KeyTab:
		text := c.items[max(c.sel, 0)].Text
		f.SetText(text)
		c.query = text // the items still answer it; do not search again
		c.sel = max(c.sel, 0)
	case glfw.KeyEscape:
		s.hideCompletions()
	default:
		return false
	}
	s.dirty.Store(true)
	return true
}

// completeRow is the row of the list under desktop point p, or -1.
func (s *Shell) completeRow(p image.Point) int {
	if !s.completing() {
		return -1
	}
	r := completeRect(s.w, len(s.comp.items))
	if !p.In(r) {
		return -1
	}
	row := (p.Y - r.Min.Y - 4) / completeRowH
	if row < 0 || row >= len(s.comp.items) {
		return -1
	}
	return row
}

// completePointerDown opens the row clicked; it reports whether p was on the list.
func (s *Shell) completePointerDown(p image.Point, button int32) bool {
	if !s.completing() || !p.In(completeRect(s.w, len(s.comp.items))) {
		return false
	}
	if row := s.completeRow(p); row >= 0 && button == 0 {
		text := s.comp.items[row].Text
		s.bar.Field.SetText(text)
		s.hideCompletions()
		s.submit(text)
		s.bar.Field.SelectAll()
	}
	return true
}

// completeHover lights the row under p; it reports whether p is on the list.
func (s *Shell) completeHover(p image.Point) bool {
	row := s.completeRow(p)
	if row != s.comp.hover {
		s.comp.hover = row
		s.dirty.Store(true)
	}
	return s.completing() && p.In(completeRect(s.w, len(s.comp.items)))
}

// paintCompletions shows the list (hidden when there is none).
func (s *Shell) paintCompletions() error {
	sf, c := s.chrome.complete, &s.comp
	if !s.completing() {
		if sf.Visible() {
			sf.SetVisible(false)
		}
		c.key = ""
		return nil
	}
	key := fmt.Sprint(s.w, c.sel, c.hover, c.items)
	if key == c.key {
		return nil
	}
	r := completeRect(s.w, len(c.items))
	if w, h := sf.Size(); w != r.Dx() || h != r.Dy() {
		if err := sf.Resize(r.Dx(), r.Dy()); err != nil {
			return fmt.Errorf("shell: completions: %w", err)
		}
	}
	img := drawCompletions(s.fonts, r.Size(), c.items, c.sel, c.hover)
	if err := sf.Present(img.Pix, img.Stride); err != nil {
		return fmt.Errorf("shell: paint completions: %w", err)
	}
	sf.Move(r.Min.X, r.Min.Y)
	sf.SetVisible(true)
	c.key = key
	return nil
}

// drawCompletions paints the list: per row the name, its detail and its description, the
// selected row in the accent colour, the hovered one lit.
func drawCompletions(fonts *Fonts, size image.Point, items []Completion, sel, hover int) *image.RGBA {
	img := image.NewRGBA(image.Rectangle{Max: size})
	fillRoundRect(img, img.Rect, 8, colFieldBorder)
	fillRoundRect(img, img.Rect.Inset(1), 7, colBarTop)
	for i, it := range items {
		y := 4 + i*completeRowH
		row := image.Rect(4, y, size.X-4, y+completeRowH)
		switch {
		case i == sel:
			fillRoundRect(img, row, 6, colAccentSoft)
		case i == hover:
			fillRoundRect(img, row, 6, colField)
		}
		x := row.Min.X + 12
		name := ellipsize(fonts.Strong, it.Name, size.X/2)
		drawText(img, fonts.Strong, x, baselineFor(fonts.Strong, y, completeRowH), name, colText)
		x += textWidth(fonts.Strong, name) + 10
		if it.Detail != "" {
			d := ellipsize(fonts.Small, it.Detail, 120)
			drawText(img, fonts.Small, x, baselineFor(fonts.Small, y, completeRowH), d, colTextDim)
			x += textWidth(fonts.Small, d) + 12
		}
		if room := row.Max.X - 12 - x; it.Description != "" && room > 40 {
			drawText(img, fonts.UI, x, baselineFor(fonts.UI, y, completeRowH), ellipsize(fonts.UI, it.Description, room), colTextDim)
		}
	}
	return img
}
