package shell

import (
	"fmt"
	"image"
	"image/color"
	"strings"
	"time"
)

// placeholder is shown in an empty URL bar.
const placeholder = "Open a module: a name like clock, a path to a .wasm file, or an http(s):// URL"

// URLBar is the top bar's state: the text field, its history, the error line and the
// progress of an open in flight. Main thread only.
type URLBar struct {
	Field   TextField
	History *History
	Focused bool

	scroll int    // horizontal scroll of the text, pixels
	shown  string // the text the shell last put in the field (Escape goes back to it)

	errText string // one-line reason of the last failure, "" when none
	notice  bool   // errText is a notice (neutral colours), not a failure

	busy    bool
	busyMsg string // "Downloading clock.wasm", "Starting paint"...
	done    int64
	total   int64 // -1 when unknown
	started time.Time
}

// Edited reports whether the user changed the text since the shell last set it.
func (b *URLBar) Edited() bool { return b.Field.Text() != b.shown }

// Show puts text in the field as the shell's own (not an edit): the source of the focused
// window, like a browser's address bar shows the page's URL.
func (b *URLBar) Show(text string) {
	b.Field.SetText(text)
	b.shown = text
	b.scroll = 0
}

// SetError shows reason on the red line under the bar ("" hides it).
func (b *URLBar) SetError(reason string) { b.errText, b.notice = sanitize(reason), false }

// Error is the reason shown on the error line.
func (b *URLBar) Error() string { return b.errText }

// SetBusy shows (or with busy false, hides) the progress indicator with msg.
func (b *URLBar) SetBusy(busy bool, msg string) {
	if busy && !b.busy {
		b.started = time.Now()
		b.done, b.total = 0, -1
	}
	b.busy, b.busyMsg = busy, msg
}

// SetProgress records a download's progress (total -1 when the size is unknown).
func (b *URLBar) SetProgress(done, total int64) { b.done, b.total = done, total }

// Busy reports whether an open is in flight.
func (b *URLBar) Busy() bool { return b.busy }

// fieldRect is the URL field inside a bar of the given width.
func fieldRect(width int) image.Rectangle {
	y := (topBarH - urlFieldH) / 2
	return image.Rect(156, y, max(width-16, 260), y+urlFieldH)
}

// textOrigin is where the text starts (left of it sits the field's icon).
func textOrigin(width int) int { return fieldRect(width).Min.X + 38 }

// textRight is where the text must stop: before the progress figures when busy.
func (b *URLBar) textRight(fonts *Fonts, width int) int {
	r := fieldRect(width).Max.X - 14
	if b.busy {
		r -= textWidth(fonts.Small, b.statusText()) + 16
	}
	return r
}

// statusText is the progress shown at the right end of the field.
func (b *URLBar) statusText() string {
	if !b.busy {
		return ""
	}
	if b.done > 0 || b.total > 0 {
		if b.total > 0 {
			return fmt.Sprintf("%s  %s of %s", b.busyMsg, humanBytes(b.done), humanBytes(b.total))
		}
		return fmt.Sprintf("%s  %s", b.busyMsg, humanBytes(b.done))
	}
	return b.busyMsg + "…"
}

// PosAt maps a pointer x (bar coordinates) to a rune index of the text.
func (b *URLBar) PosAt(fonts *Fonts, width, x int) int {
	offs := runeOffsets(fonts.UI, b.Field.Text())
	rel := x - textOrigin(width) + b.scroll
	best := 0
	for i, o := range offs {
		if abs(o-rel) < abs(offs[best]-rel) {
			best = i
		}
	}
	return best
}

// InField reports whether bar point p is inside the text field.
func InField(width int, p image.Point) bool { return p.In(fieldRect(width)) }

// Draw paints the top bar: brand mark, URL field with text, selection and cursor, and the
// progress of an open in flight.
func (b *URLBar) Draw(fonts *Fonts, width int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, width, topBarH))
	verticalGradient(img, img.Rect, colBarTop, colBarBottom)
	fillRect(img, image.Rect(0, topBarH-1, width, topBarH), colBarEdge)

	// Brand: an orbit (ring and a moon) and the name.
	cy := float32(topBarH) / 2
	fillCircle(img, 30, cy, 10, colAccent)
	fillCircle(img, 30, cy, 7.6, colBarTop)
	fillCircle(img, 30, cy, 4, colText)
	fillCircle(img, 38.5, cy-7, 3, colAccent)
	drawText(img, fonts.Strong, 50, baselineFor(fonts.Strong, 0, topBarH), "Orbital", colText)

	f := fieldRect(width)
	border, fill := colFieldBorder, colField
	if b.Focused {
		border, fill = colAccent, colFieldFocus
		fillRoundRect(img, f.Inset(-3), 12, colAccentSoft) // focus ring
	}
	fillRoundRect(img, f, 10, border)
	fillRoundRect(img, f.Inset(1), 9, fill)

	// Icon: a magnifier, or a red mark when the last open failed.
	ix, iy := float32(f.Min.X+19), float32(f.Min.Y+urlFieldH/2)
	ic := colTextMuted
	if b.errText != "" {
		ic = colErrorEdge
	}
	fillCircle(img, ix-1, iy-1, 6, ic)
	fillCircle(img, ix-1, iy-1, 4.2, fill)
	strokeLine(img, ix+3, iy+3, ix+7, iy+7, 2, ic)

	b.drawText(img, fonts, width, fill)
	if b.busy {
		b.drawProgress(img, fonts, width)
	}
	return img
}

func (b *URLBar) drawText(img *image.RGBA, fonts *Fonts, width int, fill color.RGBA) {
	f := fieldRect(width)
	x0, right := textOrigin(width), b.textRight(fonts, width)
	base := baselineFor(fonts.UI, f.Min.Y, urlFieldH)
	text := b.Field.Text()
	clip := img.SubImage(image.Rect(x0-2, f.Min.Y+2, right, f.Max.Y-2)).(*image.RGBA)
	if text == "" {
		if !b.busy {
			drawText(clip, fonts.UI, x0, base, ellipsize(fonts.UI, placeholder, right-x0), colTextDim)
		}
		if b.Focused {
			fillRect(img, image.Rect(x0, f.Min.Y+9, x0+2, f.Max.Y-9), colAccent)
		}
		return
	}
	offs := runeOffsets(fonts.UI, text)
	// Keep the cursor in view.
	cx := offs[b.Field.Cursor()]
	avail := right - x0 - 2
	if cx-b.scroll > avail {
		b.scroll = cx - avail
	}
	if cx-b.scroll < 0 {
		b.scroll = cx
	}
	if offs[len(offs)-1]-b.scroll < avail {
		b.scroll = max(0, offs[len(offs)-1]-avail)
	}
	if s, e := b.Field.Selection(); s != e {
		sel := image.Rect(x0+offs[s]-b.scroll, f.Min.Y+7, x0+offs[e]-b.scroll, f.Max.Y-7)
		c := colSelection
		if !b.Focused {
			c = colFieldBorder
		}
		fillRect(clip, sel, c)
	}
	drawText(clip, fonts.UI, x0-b.scroll, base, text, colText)
	if b.Focused {
		x := x0 + cx - b.scroll
		fillRect(clip, image.Rect(x, f.Min.Y+8, x+2, f.Max.Y-8), colAccent)
	}
}

// drawProgress writes the status at the right of the field and a progress line along its
// bottom edge: a filled fraction when the size is known, a sliding segment otherwise.
func (b *URLBar) drawProgress(img *image.RGBA, fonts *Fonts, width int) {
	f := fieldRect(width)
	st := b.statusText()
	x := f.Max.X - 14 - textWidth(fonts.Small, st)
	drawText(img, fonts.Small, x, baselineFor(fonts.Small, f.Min.Y, urlFieldH), st, colTextMuted)
	track := image.Rect(f.Min.X+10, f.Max.Y-4, f.Max.X-10, f.Max.Y-2)
	fillRect(img, track, colFieldBorder)
	if b.total > 0 {
		w := int(float64(track.Dx()) * float64(min(b.done, b.total)) / float64(b.total))
		fillRect(img, image.Rect(track.Min.X, track.Min.Y, track.Min.X+w, track.Max.Y), colAccent)
		return
	}
	seg := track.Dx() / 5
	period := 1.2
	t := time.Since(b.started).Seconds()/period - float64(int(time.Since(b.started).Seconds()/period))
	sx := track.Min.X + int(t*float64(track.Dx()+seg)) - seg
	fillRect(img, image.Rect(max(sx, track.Min.X), track.Min.Y, min(sx+seg, track.Max.X), track.Max.Y), colAccent)
}

// DrawError paints the error line: a red strip under the bar with the one-line reason.
func (b *URLBar) DrawError(fonts *Fonts, width int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, width, errorLineH))
	bg, edge, text, under := colErrorBg, colErrorEdge, colErrorText, color.RGBA{0x5a, 0x22, 0x29, 0xff}
	if b.notice {
		bg, edge, text, under = colNotice, colAccent, colText, colBarEdge
	}
	fillRect(img, img.Rect, bg)
	fillRect(img, image.Rect(0, 0, 4, errorLineH), edge)
	fillRect(img, image.Rect(0, errorLineH-1, width, errorLineH), under)
	cy := float32(errorLineH) / 2
	fillCircle(img, 22, cy, 8, edge)
	fillRect(img, image.Rect(21, int(cy)-5, 23, int(cy)+2), bg)
	fillRect(img, image.Rect(21, int(cy)+3, 23, int(cy)+5), bg)
	hint := "Esc to dismiss"
	hw := textWidth(fonts.Small, hint)
	base := baselineFor(fonts.UI, 0, errorLineH)
	drawText(img, fonts.UI, 40, base, ellipsize(fonts.UI, b.errText, width-40-hw-40), text)
	drawText(img, fonts.Small, width-16-hw, baselineFor(fonts.Small, 0, errorLineH), hint, color.RGBA{0xc0, 0x80, 0x86, 0xff})
	return img
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func trimSpace(s string) string { return strings.TrimSpace(sanitize(s)) }

// oneLine keeps the first line of an error message, for the error line.
func oneLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

// shortName is what the progress text calls the thing being opened: the last path element.
func shortName(text string) string {
	t := strings.TrimRight(text, "/")
	if i := strings.LastIndexByte(t, '/'); i >= 0 && i < len(t)-1 {
		t = t[i+1:]
	}
	if q := strings.IndexAny(t, "?#"); q > 0 {
		t = t[:q]
	}
	return t
}
