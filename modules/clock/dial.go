package main

import (
	"image"
	"image/color"
	"math"
	"time"

	"github.com/orbital/orbital/modules/sdk/canvas"
)

const size = 320

var (
	desk   = color.RGBA{0x2b, 0x30, 0x3a, 0xff}
	rim    = color.RGBA{0x4a, 0x50, 0x5c, 0xff}
	face   = color.RGBA{0xf7, 0xf5, 0xf0, 0xff}
	shadow = color.RGBA{0, 0, 0, 0x30}
	ink    = color.RGBA{0x22, 0x22, 0x26, 0xff}
	red    = color.RGBA{0xd8, 0x25, 0x1d, 0xff}
)

const (
	cx, cy = size / 2, size / 2
	radius = 140.0
)

// drawDial draws what never moves: the background, the rim, the face and its 60 ticks.
func drawDial() *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	canvas.Fill(img, img.Rect, desk)
	canvas.Circle(img, cx+2, cy+4, radius+8, shadow)
	canvas.Circle(img, cx, cy, radius+8, rim)
	canvas.Circle(img, cx, cy, radius, face)
	for i := 0; i < 60; i++ {
		a := float64(i) / 60 * 2 * math.Pi
		sin, cos := math.Sincos(a)
		outer, inner, width := radius-8, radius-16, 2.0
		if i%5 == 0 {
			inner, width = radius-32, 6
		}
		canvas.Line(img, cx+sin*inner, cy-cos*inner, cx+sin*outer, cy-cos*outer, width, ink)
	}
	return img
}

// drawHands draws the three hands for t, each with a soft shadow.
func drawHands(img *image.RGBA, t time.Time) {
	sec := float64(t.Second()) + float64(t.Nanosecond())/1e9
	min := float64(t.Minute()) + sec/60
	hour := float64(t.Hour()%12) + min/60
	hand(img, hour/12, -18, radius*0.55, 11, ink)
	hand(img, min/60, -22, radius*0.82, 7, ink)
	sa := sec / 60
	hand(img, sa, -34, radius*0.68, 2.5, red)
	sin, cos := math.Sincos(sa * 2 * math.Pi)
	canvas.Circle(img, cx+sin*radius*0.68, cy-cos*radius*0.68, 9, red)
	canvas.Circle(img, cx, cy, 6, red)
	canvas.Circle(img, cx, cy, 2, ink)
}

// hand draws a hand at fraction turn of a full circle, from back (negative: past the centre)
// to length, with its shadow offset down-right.
func hand(img *image.RGBA, turn, back, length, width float64, c color.RGBA) {
	sin, cos := math.Sincos(turn * 2 * math.Pi)
	x0, y0 := cx+sin*back, cy-cos*back
	x1, y1 := cx+sin*length, cy-cos*length
	canvas.Line(img, x0+2, y0+3, x1+2, y1+3, width, shadow)
	canvas.Line(img, x0, y0, x1, y1, width, c)
}
