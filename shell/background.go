package shell

import (
	"image"
	"image/color"

	xfont "golang.org/x/image/font"
)

// The empty desktop: wallpaper, hint text and module suggestions.

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
