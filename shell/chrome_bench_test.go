package shell

import (
	"image"
	"image/draw"
	"testing"
	"time"
)

// BenchmarkChrome measures what redrawing one piece of chrome costs, against the baseline of
// allocating and filling a picture of the same size (the least any redraw must do). The shell
// redraws a piece only when what it shows changed (a keystroke, a hover, a focus change).
func BenchmarkChrome(b *testing.B) {
	fonts, err := LoadFonts(1)
	if err != nil {
		b.Fatal(err)
	}
	bar := &URLBar{Focused: true}
	bar.Field.SetText("http://127.0.0.1:8080/apps/clock.wasm")
	bar.Field.SelectWord(12)
	st := decoState{w: 640, h: 480, title: frameTitle("Paint", "paint", 3), focused: true, keyboard: true}
	frameSize := frameGeom{image.Rect(0, 0, 640, 480)}.deco().Size()

	b.Run("base=fill-640x480-frame", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			img := image.NewRGBA(image.Rectangle{Max: frameSize})
			draw.Draw(img, img.Rect, image.NewUniform(colTitle), image.Point{}, draw.Src)
		}
	})
	b.Run("window-frame-640x480", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			drawFrame(fonts, st)
		}
	})
	b.Run("url-bar-1280", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			bar.Draw(fonts, 1280)
		}
	})
	b.Run("task-strip-1280", func(b *testing.B) {
		b.ReportAllocs()
		now := time.Now()
		for b.Loop() {
			drawStrip(fonts, nil, nil, nil, 1280, now)
		}
	})
}
