package shell

import (
	"fmt"
	"image"
	"image/color"
	"time"

	xfont "golang.org/x/image/font"
)

// stripItem is one button of the task strip, in strip coordinates.
type stripItem struct {
	win  *Window
	rect image.Rectangle
}

// layoutStrip places one button per window, in opening order, left to right.
func layoutStrip(fonts *Fonts, wins []*Window, width int) []stripItem {
	items := make([]stripItem, 0, len(wins))
	x := 12
	for _, w := range wins {
		label := stripLabel(w)
		bw := min(max(textWidth(fonts.Title, label)+44, 120), 240)
		if x+bw > width-120 {
			break
		}
		items = append(items, stripItem{win: w, rect: image.Rect(x, 7, x+bw, taskStripH-7)})
		x += bw + 8
	}
	return items
}

func stripLabel(w *Window) string {
	t := w.Surface.Title()
	if t == "" {
		t = w.Name
	}
	return t
}

// stripAt returns the window whose button holds x (strip coordinates), or nil.
func stripAt(items []stripItem, p image.Point) *Window {
	for _, it := range items {
		if p.In(it.rect) {
			return it.win
		}
	}
	return nil
}

// drawStrip paints the task strip: a button per window (the focused one lit, with an accent
// underline), and the time at the right.
func drawStrip(fonts *Fonts, items []stripItem, focused, hover *Window, width int, now time.Time) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, width, taskStripH))
	fillRect(img, img.Rect, colStripBg)
	fillRect(img, image.Rect(0, 0, width, 1), colBarEdge)
	for _, it := range items {
		bg := colStripItem
		switch it.win {
		case focused:
			bg = colStripActive
		case hover:
			bg = colStripHover
		}
		fillRoundRect(img, it.rect, 7, bg)
		if it.win == focused {
			fillRoundRect(img, image.Rect(it.rect.Min.X+10, it.rect.Max.Y-3, it.rect.Max.X-10, it.rect.Max.Y-1), 1, colAccent)
		}
		// A dot in the module's own colour, so windows are told apart at a glance.
		cx, cy := float32(it.rect.Min.X+16), float32(it.rect.Min.Y+it.rect.Dy()/2)
		fillCircle(img, cx, cy, 4.5, moduleColour(it.win.Name))
		label := stripLabel(it.win)
		tc := colTextMuted
		if it.win == focused {
			tc = colText
		}
		pid := fmt.Sprintf("%d", it.win.PID)
		pw := textWidth(fonts.Small, pid)
		base := baselineFor(fonts.Title, it.rect.Min.Y, it.rect.Dy())
		label = ellipsize(fonts.Title, label, it.rect.Dx()-44-pw)
		drawText(img, fonts.Title, it.rect.Min.X+28, base, label, tc)
		drawText(img, fonts.Small, it.rect.Max.X-12-pw, base, pid, colTextDim)
	}
	if len(items) == 0 {
		drawText(img, fonts.Small, 16, baselineFor(fonts.Small, 0, taskStripH), "No windows open", colTextDim)
	}
	clock := now.Format("15:04")
	cw := textWidth(fonts.Title, clock)
	drawText(img, fonts.Title, width-16-cw, baselineFor(fonts.Title, 0, taskStripH), clock, colTextMuted)
	return img
}

// moduleColour derives a stable, pleasant colour from a module name.
func moduleColour(name string) color.RGBA {
	palette := []color.RGBA{
		{0x5b, 0x9c, 0xff, 0xff}, {0x4c, 0xd1, 0x9a, 0xff}, {0xff, 0xb3, 0x47, 0xff},
		{0xd3, 0x7b, 0xff, 0xff}, {0xff, 0x6f, 0x91, 0xff}, {0x4f, 0xd6, 0xe0, 0xff},
	}
	var h uint32 = 2166136261
	for i := 0; i < len(name); i++ {
		h = (h ^ uint32(name[i])) * 16777619
	}
	h ^= h >> 13
	h *= 0x5bd1e995
	h ^= h >> 15
	return palette[h%uint32(len(palette))]
}

// drawBackground paints the desktop: a deep gradient with a soft glow, and when no window
// is open, a hint saying what to type.
func drawBackground(fonts *Fonts, width, height int, empty, suggestions bool) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	verticalGradient(img, img.Rect, colDeskTop, colDeskBottom)
	// A soft radial glow up and to the left, for depth.
	glow(img, float64(width)*0.32, float64(height)*0.22, float64(width)*0.55, [3]float64{0x3a, 0x58, 0x96}, 0.35)
	if empty {
		lines := []struct {
			face xfont.Face
			text string
			c    color.RGBA
		}{
			{fonts.UI, "Nothing running yet", colTextMuted},
			{fonts.Small, "Type a module name, a path to a .wasm file or an http(s):// URL in the bar above.", colTextDim},
			{fonts.Small, "Ctrl+L focuses the bar.", colTextDim},
		}
		if suggestions {
			lines[2].text = "Ctrl+L focuses the bar.  Or open one of these:"
		}
		y := height/2 - 30
		for _, l := range lines {
			f := l.face
			w := textWidth(f, l.text)
			drawText(img, f, (width-w)/2, y, l.text, l.c)
			y += 24
		}
	}
	return img
}

// glow brightens dst towards colour c around (cx, cy), fading smoothly to nothing at radius r.
func glow(dst *image.RGBA, cx, cy, r float64, c [3]float64, strength float64) {
	b := dst.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		dy := (float64(y) - cy) / r
		for x := b.Min.X; x < b.Max.X; x++ {
			dx := (float64(x) - cx) / r
			d := dx*dx + dy*dy
			if d >= 1 {
				continue
			}
			k := (1 - d) * (1 - d) * strength
			i := dst.PixOffset(x, y)
			for j := 0; j < 3; j++ {
				v := float64(dst.Pix[i+j])
				dst.Pix[i+j] = uint8(v + (c[j]-v)*k + 0.5)
			}
		}
	}
}

// chip is one suggestion under the empty desktop's hint: a module name to open with a click.
type chip struct {
	name string
	rect image.Rectangle // desktop coordinates
}

// layoutChips centres one button per suggestion under the hint text.
func layoutChips(fonts *Fonts, names []string, width, height int) []chip {
	const gap, h = 10, 32
	if len(names) > 8 {
		names = names[:8]
	}
	total := 0
	ws := make([]int, len(names))
	for i, n := range names {
		ws[i] = textWidth(fonts.Title, n) + 40
		total += ws[i]
	}
	total += gap * max(len(names)-1, 0)
	x, y := (width-total)/2, height/2+60
	out := make([]chip, len(names))
	for i, n := range names {
		out[i] = chip{name: n, rect: image.Rect(x, y, x+ws[i], y+h)}
		x += ws[i] + gap
	}
	return out
}

// chipsBounds is the rectangle holding every chip (the suggestions surface).
func chipsBounds(chips []chip) image.Rectangle {
	var r image.Rectangle
	for _, c := range chips {
		r = r.Union(c.rect)
	}
	return r
}

// drawChips paints the suggestions into an image covering chipsBounds(chips).
func drawChips(fonts *Fonts, chips []chip, hover string) *image.RGBA {
	b := chipsBounds(chips)
	img := image.NewRGBA(b)
	for _, c := range chips {
		bg, edge, tc := colStripItem, colFieldBorder, colText
		if c.name == hover {
			bg, edge = colStripActive, colAccent
		}
		fillRoundRect(img, c.rect, 16, edge)
		fillRoundRect(img, c.rect.Inset(1), 15, bg)
		fillCircle(img, float32(c.rect.Min.X+16), float32(c.rect.Min.Y+c.rect.Dy()/2), 4, moduleColour(c.name))
		drawText(img, fonts.Title, c.rect.Min.X+26, baselineFor(fonts.Title, c.rect.Min.Y, c.rect.Dy()), c.name, tc)
	}
	return img
}

func chipAt(chips []chip, p image.Point) string {
	for _, c := range chips {
		if p.In(c.rect) {
			return c.name
		}
	}
	return ""
}
