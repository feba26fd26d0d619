package main

import (
	"image"
	"image/color"
	"math"
	"time"

	"github.com/orbital/orbital/modules/sdk/canvas"
)

// size is the window's starting width and height.
const size = 320

var (
	desk   = color.RGBA{0x2b, 0x30, 0x3a, 0xff}
	rim    = color.RGBA{0x4a, 0x50, 0x5c, 0xff}
	face   = color.RGBA{0xf7, 0xf5, 0xf0, 0xff}
	shadow = color.RGBA{0, 0, 0, 0x30}
	ink    = color.RGBA{0x22, 0x22, 0x26, 0xff}
	red    = color.RGBA{0xd8, 0x25, 0x1d, 0xff}
)

// Clock draws the clock for one window size: the dial once (it never moves), then the hands
// on a copy of it every frame. Every length is a fraction of the face's radius, so the clock
// scales with the window and stays centred.
type Clock struct {
	cx, cy, r float64 // centre and face radius
	u         float64 // one "unit": r/140, the scale the proportions were drawn at
	dial      *image.RGBA
	frame     *image.RGBA
}

// NewClock lays out a w x h clock.
func NewClock(w, h int) *Clock {
	r := float64(min(w, h))/2 - 20*float64(min(w, h))/size
	c := &Clock{cx: float64(w) / 2, cy: float64(h) / 2, r: r, u: r / 140}
	c.dial = image.NewRGBA(image.Rect(0, 0, w, h))
	c.frame = image.NewRGBA(c.dial.Rect)
	c.drawDial()
	return c
}

// Frame draws the clock showing t and returns the image (reused by the next call).
func (c *Clock) Frame(t time.Time) *image.RGBA {
	copy(c.frame.Pix, c.dial.Pix)
	c.drawHands(t)
	return c.frame
}

// drawDial draws the background, the rim, the face and its 60 ticks.
func (c *Clock) drawDial() {
	img, u, r := c.dial, c.u, c.r
	canvas.Fill(img, img.Rect, desk)
	canvas.Circle(img, c.cx+2*u, c.cy+4*u, r+8*u, shadow)
	canvas.Circle(img, c.cx, c.cy, r+8*u, rim)
	canvas.Circle(img, c.cx, c.cy, r, face)
	for i := 0; i < 60; i++ {
		sin, cos := math.Sincos(float64(i) / 60 * 2 * math.Pi)
		outer, inner, width := r-8*u, r-16*u, 2*u
		if i%5 == 0 {
			inner, width = r-32*u, 6*u
		}
		canvas.Line(img, c.cx+sin*inner, c.cy-cos*inner, c.cx+sin*outer, c.cy-cos*outer, width, ink)
	}
}

// drawHands draws the three hands for t, each with a soft shadow; the second hand moves
// continuously (sub-second), the Swiss-railway way, with a disc near its tip.
func (c *Clock) drawHands(t time.Time) {
	sec := float64(t.Second()) + float64(t.Nanosecond())/1e9
	min := float64(t.Minute()) + sec/60
	hour := float64(t.Hour()%12) + min/60
	u, r := c.u, c.r
	c.hand(hour/12, -18*u, r*0.55, 11*u, ink)
	c.hand(min/60, -22*u, r*0.82, 7*u, ink)
	c.hand(sec/60, -34*u, r*0.68, 2.5*u, red)
	sin, cos := math.Sincos(sec / 60 * 2 * math.Pi)
	canvas.Circle(c.frame, c.cx+sin*r*0.68, c.cy-cos*r*0.68, 9*u, red)
	canvas.Circle(c.frame, c.cx, c.cy, 6*u, red)
	canvas.Circle(c.frame, c.cx, c.cy, 2*u, ink)
}

// hand draws a hand at fraction turn of a full circle, from back (negative: past the centre)
// to length, with its shadow offset down-right.
func (c *Clock) hand(turn, back, length, width float64, col color.RGBA) {
	sin, cos := math.Sincos(turn * 2 * math.Pi)
	x0, y0 := c.cx+sin*back, c.cy-cos*back
	x1, y1 := c.cx+sin*length, c.cy-cos*length
	canvas.Line(c.frame, x0+2*c.u, y0+3*c.u, x1+2*c.u, y1+3*c.u, width, shadow)
	canvas.Line(c.frame, x0, y0, x1, y1, width, col)
}
