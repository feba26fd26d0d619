package shell

import (
	"fmt"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gomedium"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
)

// Fonts holds the faces the chrome is drawn with. The Go fonts are embedded in the binary
// (golang.org/x/image/font/gofont), so the shell looks the same on every machine and needs no
// font files. A font.Face caches glyphs and is not safe for concurrent use: Fonts belongs to
// the main thread.
type Fonts struct {
	UI     font.Face // URL bar text, error line
	Title  font.Face // window titles, task strip
	Small  font.Face // pids, hints, progress figures
	Strong font.Face // the brand mark
}

var (
	parsedOnce sync.Once
	parsed     [3]*opentype.Font
	parseErr   error
)

// LoadFonts rasterizes the Go fonts at the chrome's sizes (pixels at 72 DPI, so size = px).
// scale multiplies every size (HiDPI framebuffers).
func LoadFonts(scale float64) (*Fonts, error) {
	parsedOnce.Do(func() {
		for i, ttf := range [][]byte{goregular.TTF, gomedium.TTF, gobold.TTF} {
			if parsed[i], parseErr = opentype.Parse(ttf); parseErr != nil {
				return
			}
		}
	})
	if parseErr != nil {
		return nil, fmt.Errorf("shell: parse Go fonts: %w", parseErr)
	}
	face := func(f *opentype.Font, px float64) (font.Face, error) {
		return opentype.NewFace(f, &opentype.FaceOptions{Size: px * scale, DPI: 72, Hinting: font.HintingFull})
	}
	var fs Fonts
	var err error
	for _, x := range []struct {
		dst  *font.Face
		font *opentype.Font
		px   float64
	}{
		{&fs.UI, parsed[0], 15},
		{&fs.Title, parsed[1], 13},
		{&fs.Small, parsed[0], 12},
		{&fs.Strong, parsed[2], 15},
	} {
		if *x.dst, err = face(x.font, x.px); err != nil {
			return nil, fmt.Errorf("shell: font face: %w", err)
		}
	}
	return &fs, nil
}
