package main

import (
	"image"
	"image/color"

	"github.com/orbital/orbital/modules/sdk"
	"github.com/orbital/orbital/modules/sdk/canvas"
)

const (
	width, height = 640, 480 // the window's starting size
	barHeight     = 32       // the palette bar along the top
	swatchW       = 28
	swatchH       = 20
	swatchStep    = 36
	swatchX0      = 8
	swatchY       = 6
	minBrush      = 2
	maxBrush      = 40
)

var (
	paper   = color.RGBA{0xff, 0xff, 0xff, 0xff}
	bar     = color.RGBA{0x2b, 0x30, 0x3a, 0xff}
	outline = color.RGBA{0xff, 0xff, 0xff, 0xff}
	palette = []color.RGBA{
		{0x1e, 0x1e, 0x22, 0xff}, // ink
		{0x80, 0x80, 0x88, 0xff}, // grey
		{0xff, 0xff, 0xff, 0xff}, // white: the eraser
		{0xe0, 0x2d, 0x24, 0xff}, // red
		{0xf2, 0x8c, 0x1c, 0xff}, // orange
		{0xf5, 0xd0, 0x1e, 0xff}, // yellow
		{0x3b, 0xb2, 0x4a, 0xff}, // green
		{0x17, 0xa5, 0xa5, 0xff}, // teal
		{0x25, 0x6c, 0xe0, 0xff}, // blue
		{0x7d, 0x3c, 0xd0, 0xff}, // purple
		{0xe8, 0x5a, 0xa8, 0xff}, // pink
		{0x8a, 0x5a, 0x2b, 0xff}, // brown
	}
)

// Board is the painting: the image shown in the window and the state of the brush. Handle
// applies input events; Dirty says whether the image changed since the last Presented.
type Board struct {
	img   *image.RGBA
	paper *image.RGBA // the drawing area below the bar, a view into img
	color int         // index into palette
	brush float64     // stroke width in pixels
	down  bool        // the left button is held and a stroke is in progress
	lastX float64
	lastY float64
	dirty bool
}

// NewBoard returns a blank w x h board with the palette drawn, ink selected and a 6-pixel
// brush.
func NewBoard(w, h int) *Board {
	b := &Board{brush: 6}
	b.setImage(image.NewRGBA(image.Rect(0, 0, w, h)))
	b.clear()
	b.drawBar()
	return b
}

func (b *Board) setImage(img *image.RGBA) {
	b.img = img
	b.paper = img.SubImage(image.Rect(0, barHeight, img.Rect.Dx(), img.Rect.Dy())).(*image.RGBA)
}

// Resize makes the board w x h, keeping the drawing's top-left part and extending the paper
// with white.
func (b *Board) Resize(w, h int) {
	old := b.paper
	b.setImage(image.NewRGBA(image.Rect(0, 0, w, h)))
	b.clear()
	r := old.Rect.Intersect(b.paper.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		copy(b.img.Pix[b.img.PixOffset(r.Min.X, y):b.img.PixOffset(r.Max.X, y)], old.Pix[old.PixOffset(r.Min.X, y):])
	}
	b.drawBar()
}

// Image is the current picture.
func (b *Board) Image() *image.RGBA { return b.img }

// Dirty reports whether the picture changed since the last call to Presented.
func (b *Board) Dirty() bool { return b.dirty }

// Presented records that the current picture was shown.
func (b *Board) Presented() { b.dirty = false }

// Handle applies one input event.
func (b *Board) Handle(ev sdk.Event) {
	switch e := ev.(type) {
	case sdk.MouseDown:
		switch {
		case e.Button == sdk.ButtonRight:
			b.clear()
		case e.Button == sdk.ButtonLeft && e.Y < barHeight:
			b.pick(e.X, e.Y)
		case e.Button == sdk.ButtonLeft:
			b.down = true
			b.lastX, b.lastY = float64(e.X)+0.5, float64(e.Y)+0.5
			b.stroke(b.lastX, b.lastY)
		}
	case sdk.MouseMove:
		if b.down {
			b.stroke(float64(e.X)+0.5, float64(e.Y)+0.5)
		}
	case sdk.MouseUp:
		if e.Button == sdk.ButtonLeft {
			b.down = false
		}
	case sdk.Blur:
		b.down = false
	case sdk.KeyDown:
		if e.Key == 'C' {
			b.clear()
		}
	case sdk.Char:
		if e.Rune == 'c' || e.Rune == 'C' {
			b.clear()
		}
	case sdk.Scroll:
		switch {
		case e.DY > 0 && b.brush < maxBrush:
			b.brush++
		case e.DY < 0 && b.brush > minBrush:
			b.brush--
		default:
			return
		}
		b.drawBar()
	}
}

// stroke draws a round-capped segment from the last point to (x, y), so a drag becomes one
// connected line however far apart the mouse events are.
func (b *Board) stroke(x, y float64) {
	canvas.Line(b.paper, b.lastX, b.lastY, x, y, b.brush, palette[b.color])
	b.lastX, b.lastY = x, y
	b.dirty = true
}

func (b *Board) clear() {
	canvas.Fill(b.paper, b.paper.Rect, paper)
	b.down = false
	b.dirty = true
}

// pick selects the swatch under (x, y), if any.
func (b *Board) pick(x, y int) {
	for i := range palette {
		if image.Pt(x, y).In(swatch(i).Inset(-4)) {
			b.color = i
			b.drawBar()
			return
		}
	}
}

func swatch(i int) image.Rectangle {
	x := swatchX0 + i*swatchStep
	return image.Rect(x, swatchY, x+swatchW, swatchY+swatchH)
}

// drawBar draws the palette with the chosen colour outlined and, at the right, a preview of
// the brush in its size and colour.
func (b *Board) drawBar() {
	canvas.Fill(b.img, image.Rect(0, 0, b.img.Rect.Dx(), barHeight), bar)
	for i, c := range palette {
		r := swatch(i)
		if i == b.color {
			canvas.Fill(b.img, r.Inset(-3), outline)
			canvas.Fill(b.img, r.Inset(-1), bar)
		}
		canvas.Fill(b.img, r, c)
	}
	cx, cy := float64(b.img.Rect.Dx()-barHeight/2-4), float64(barHeight)/2
	d := min(b.brush, barHeight-6)
	canvas.Circle(b.img, cx, cy, d/2+1.5, outline)
	canvas.Circle(b.img, cx, cy, d/2, palette[b.color])
	b.dirty = true
}
