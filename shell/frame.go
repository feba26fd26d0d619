package shell

import (
	"fmt"
	"image"
	"image/color"
	"strings"
)

// Part names the piece of a window frame under the pointer.
type Part int

const (
	PartNone    Part = iota
	PartContent      // the module's surface: input goes to the module
	PartTitle        // drag to move
	PartClose        // the close button: stops the process
	PartResize       // the grip at the bottom-right corner
	PartBorder       // the rest of the frame: focuses, does nothing else
)

func (p Part) String() string {
	return [...]string{"none", "content", "title", "close", "resize", "border"}[p]
}

// frameGeom is the geometry of a window frame around a content rectangle (desktop
// coordinates). Pure arithmetic, so hit testing is unit-tested without a display.
type frameGeom struct{ content image.Rectangle }

// outer is the frame's rectangle: title bar, side borders, bottom edge.
func (g frameGeom) outer() image.Rectangle {
	c := g.content
	return image.Rect(c.Min.X-frameSide, c.Min.Y-titleBarH, c.Max.X+frameSide, c.Max.Y+frameBottom)
}

// deco is the decoration surface's rectangle: the frame plus room for the shadow.
func (g frameGeom) deco() image.Rectangle { return g.outer().Inset(-shadowPad) }

func (g frameGeom) title() image.Rectangle {
	o := g.outer()
	return image.Rect(o.Min.X, o.Min.Y, o.Max.X, g.content.Min.Y)
}

func (g frameGeom) closeCenter() image.Point {
	o := g.outer()
	return image.Pt(o.Max.X-20, o.Min.Y+titleBarH/2)
}

// grip is the resize zone: the bottom-right corner, a little outside the frame too, so it is
// easy to grab.
func (g frameGeom) grip() image.Rectangle {
	o := g.outer()
	return image.Rect(o.Max.X-gripSize, o.Max.Y-frameBottom-4, o.Max.X+4, o.Max.Y+4)
}

// hit says which part of the frame holds p, PartNone if p is outside it.
func (g frameGeom) hit(p image.Point) Part {
	if p.In(g.grip()) {
		return PartResize
	}
	if !p.In(g.outer()) {
		return PartNone
	}
	if p.In(g.content) {
		return PartContent
	}
	if p.In(g.title()) {
		c := g.closeCenter()
		if d := p.Sub(c); d.X*d.X+d.Y*d.Y <= (closeRadius+5)*(closeRadius+5) {
			return PartClose
		}
		return PartTitle
	}
	return PartBorder
}

// decoState is everything a frame's picture depends on; the shell redraws a decoration only
// when it changes.
type decoState struct {
	w, h       int // content size
	title      string
	focused    bool // the active (topmost, last clicked) window
	keyboard   bool // it also has the keyboard (the URL bar does not)
	hoverClose bool
	hoverGrip  bool
}

// drawFrame paints a window's decoration: shadow, frame, title bar with title, name and pid,
// close button, resize grip. The image covers frameGeom.deco() with its origin at (0, 0).
func drawFrame(fonts *Fonts, st decoState) *image.RGBA {
	content := image.Rect(0, 0, st.w, st.h).Add(image.Pt(shadowPad+frameSide, shadowPad+titleBarH))
	g := frameGeom{content: content}
	img := image.NewRGBA(g.deco())
	o := g.outer()

	// Shadow: soft, a little below the frame, darker for the focused window.
	shadowA := float32(0.28)
	if st.focused {
		shadowA = 0.42
	}
	dropShadow(img, o.Add(image.Pt(0, 5)), 10, shadowPad, shadowA)

	edge, bar, text := colFrameEdgeDim, colTitle, colTextMuted
	if st.focused {
		edge, bar, text = colFrameEdge, colTitleFocus, colText
	}
	fillRoundRectCorners(img, o, 9, 7, edge)
	fillRoundRectCorners(img, o.Inset(1), 8, 6, bar)
	fillRect(img, content, colContentBg)
	if st.keyboard {
		// A thin accent line under the title bar marks the window receiving keys.
		fillRect(img, image.Rect(content.Min.X, content.Min.Y-2, content.Max.X, content.Min.Y), colAccent)
	}

	// Close button.
	c := g.closeCenter()
	cc := colCloseDim
	if st.focused {
		cc = colClose
	}
	if st.hoverClose {
		cc = colCloseHover
	}
	fillCircle(img, float32(c.X), float32(c.Y), closeRadius, cc)
	if st.hoverClose || st.focused {
		k := float32(3)
		xc := color.RGBA{0x4d, 0x0d, 0x0a, 0xff}
		if !st.focused {
			xc = colText
		}
		strokeLine(img, float32(c.X)-k, float32(c.Y)-k, float32(c.X)+k, float32(c.Y)+k, 1.6, xc)
		strokeLine(img, float32(c.X)-k, float32(c.Y)+k, float32(c.X)+k, float32(c.Y)-k, 1.6, xc)
	}

	// Title: the surface title, then the module name and pid, muted.
	tb := g.title()
	base := baselineFor(fonts.Title, tb.Min.Y, titleBarH)
	x := tb.Min.X + 14
	avail := c.X - closeRadius - 12 - x
	main, sub := splitTitle(st.title)
	main = ellipsize(fonts.Title, main, avail)
	x = drawText(img, fonts.Title, x, base, main, text)
	if sub != "" && avail-textWidth(fonts.Title, main) > 40 {
		drawText(img, fonts.Small, x+10, base, ellipsize(fonts.Small, sub, avail-textWidth(fonts.Title, main)-10), colTextDim)
	}

	// Resize grip: three short diagonals in the bottom-right corner.
	gc := colTextDim
	if st.hoverGrip {
		gc = colAccent
	}
	bx, by := float32(o.Max.X-3), float32(o.Max.Y-3)
	for i := float32(1); i <= 3; i++ {
		d := 3.5 * i
		strokeLine(img, bx-d, by, bx, by-d, 1.2, gc)
	}
	return img
}

// frameTitle is what a title bar says: the window's title and, muted, the module and pid.
func frameTitle(title, name string, pid uint32) string {
	if title == "" {
		title = name
	}
	if strings.EqualFold(title, name) || name == "" {
		return fmt.Sprintf("%s\x00pid %d", title, pid)
	}
	return fmt.Sprintf("%s\x00%s · pid %d", title, name, pid)
}

func splitTitle(s string) (main, sub string) {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return s[:i], s[i+1:]
		}
	}
	return s, ""
}
