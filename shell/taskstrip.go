package shell

import (
	"fmt"
	"image"
	"image/color"
	"time"
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
