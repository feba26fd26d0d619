//go:build wasip1

package main

import (
	"fmt"
	"image"
	"os"
	"unsafe"

	"github.com/orbital/orbital/modules/sdk"
)

// The imagefx library's functions. Each takes a buffer in this module's memory; the kernel
// copies it into the library instance and back.

//go:wasmimport imagefx blur
func fxBlur(ptr unsafe.Pointer, n, w, h, radius int32) int32

//go:wasmimport imagefx grayscale
func fxGrayscale(ptr unsafe.Pointer, n, w, h int32) int32

//go:wasmimport imagefx invert
func fxInvert(ptr unsafe.Pointer, n, w, h int32) int32

const pw, ph = 240, 180

func call(name string, img *image.RGBA, f func(p unsafe.Pointer, n, w, h int32) int32) error {
	if r := f(unsafe.Pointer(&img.Pix[0]), int32(len(img.Pix)), int32(img.Rect.Dx()), int32(img.Rect.Dy())); r != 0 {
		return fmt.Errorf("imagefx.%s returned %d", name, r)
	}
	return nil
}

func blur(img *image.RGBA, radius int32) error {
	return call("blur", img, func(p unsafe.Pointer, n, w, h int32) int32 { return fxBlur(p, n, w, h, radius) })
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "--check" {
		if err := check(); err != nil {
			fmt.Println("blurview: check FAILED:", err)
			os.Exit(1)
		}
		fmt.Println("blurview: check ok (blur, grayscale and invert through imagefx)")
		return
	}
	s, err := sdk.NewSurface(2*pw, ph, "Blur view (imagefx)")
	if err != nil {
		sdk.Errorf("blurview: %v", err)
		os.Exit(1)
	}
	orig := Picture(pw, ph)
	work := Picture(pw, ph)
	frame := s.NewImage()
	radius := int32(0)
	dirty := true
	apply := func(f func() error) {
		if err := f(); err != nil {
			sdk.Errorf("blurview: %v", err)
		}
		dirty = true
	}
	apply(func() error { radius = 4; return blur(work, radius) })
	err = sdk.Run(s, 30, func(f *sdk.Frame) bool {
		for _, ev := range f.Events {
			c, ok := ev.(sdk.Char)
			if !ok {
				continue
			}
			switch c.Rune {
			case 'b':
				apply(func() error { radius += 2; return blur(work, 2) })
			case 'g':
				apply(func() error { return call("grayscale", work, fxGrayscale) })
			case 'i':
				apply(func() error { return call("invert", work, fxInvert) })
			case 'r':
				apply(func() error { copy(work.Pix, orig.Pix); radius = 0; return nil })
			}
		}
		if dirty {
			SideBySide(frame, orig, work)
			dirty = false
		}
		f.Present(frame) // every frame, as the other demos do: frame counts and screenshots see it
		return true
	})
	if err != nil {
		sdk.Errorf("blurview: %v", err)
		os.Exit(1)
	}
}

// check runs each filter through the library and checks a property of its result.
func check() error {
	img := Picture(64, 48)
	orig := append([]byte(nil), img.Pix...)
	if err := call("invert", img, fxInvert); err != nil {
		return err
	}
	if img.Pix[0] != 255-orig[0] || img.Pix[3] != orig[3] {
		return fmt.Errorf("invert: first pixel %v from %v", img.Pix[:4], orig[:4])
	}
	if err := call("invert", img, fxInvert); err != nil {
		return err
	}
	for i := range orig {
		if img.Pix[i] != orig[i] {
			return fmt.Errorf("invert twice changed byte %d", i)
		}
	}
	if err := blur(img, 3); err != nil {
		return err
	}
	changed := 0
	for i := range orig {
		if img.Pix[i] != orig[i] {
			changed++
		}
	}
	if changed < len(orig)/10 {
		return fmt.Errorf("blur changed only %d of %d bytes", changed, len(orig))
	}
	if err := call("grayscale", img, fxGrayscale); err != nil {
		return err
	}
	for i := 0; i < len(img.Pix); i += 4 {
		if img.Pix[i] != img.Pix[i+1] || img.Pix[i] != img.Pix[i+2] {
			return fmt.Errorf("grayscale: pixel %d is %v", i/4, img.Pix[i:i+4])
		}
	}
	// A bad size must be refused by the library, not crash it.
	if r := fxBlur(unsafe.Pointer(&img.Pix[0]), 16, 64, 48, 1); r != -1 {
		return fmt.Errorf("blur of a too-small buffer returned %d, want -1", r)
	}
	fmt.Printf("blurview: checksum %d\n", sum(img.Pix))
	return nil
}

func sum(b []byte) (s uint32) {
	for _, c := range b {
		s = s*31 + uint32(c)
	}
	return s
}
