package console

import (
	"image"
	"image/color"
	"image/draw"
	"math"
	"slices"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/gomonobold"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// Pad is the margin around the grid, in pixels.
const Pad = 6

// Theme colours: a dark background, light grey text, and the selection.
var (
	defaultFG = color.RGBA{0xd8, 0xd8, 0xd8, 0xff}
	defaultBG = color.RGBA{0x1c, 0x1e, 0x24, 0xff}
	selectBG  = color.RGBA{0x3a, 0x5a, 0x8c, 0xff}
	cursorCol = color.RGBA{0xd8, 0xd8, 0xd8, 0xff}
)

// ansi16 are the first 16 palette entries (xterm's defaults, a little softened).
var ansi16 = [16]color.RGBA{
	{0x1c, 0x1e, 0x24, 0xff}, {0xe0, 0x5a, 0x5a, 0xff}, {0x7c, 0xc4, 0x5a, 0xff}, {0xe0, 0xb8, 0x4c, 0xff},
	{0x5a, 0x8c, 0xe0, 0xff}, {0xc0, 0x6c, 0xd8, 0xff}, {0x4c, 0xc0, 0xc8, 0xff}, {0xd8, 0xd8, 0xd8, 0xff},
	{0x6c, 0x70, 0x7a, 0xff}, {0xff, 0x7c, 0x7c, 0xff}, {0x9c, 0xe4, 0x7a, 0xff}, {0xff, 0xd8, 0x6c, 0xff},
	{0x7a, 0xac, 0xff, 0xff}, {0xe0, 0x8c, 0xf8, 0xff}, {0x6c, 0xe0, 0xe8, 0xff}, {0xff, 0xff, 0xff, 0xff},
}

// rgb resolves a cell colour (def for the default).
func rgb(c Color, def color.RGBA) color.RGBA {
	switch {
	case c == 0:
		return def
	case c&rgbFlag != 0:
		return color.RGBA{uint8(c >> 16), uint8(c >> 8), uint8(c), 0xff}
	}
	i := int(c - 1)
	switch {
	case i < 16:
		return ansi16[i]
	case i < 232: // 6x6x6 cube
		i -= 16
		lv := func(v int) uint8 {
			if v == 0 {
				return 0
			}
			return uint8(55 + 40*v)
		}
		return color.RGBA{lv(i / 36), lv(i / 6 % 6), lv(i % 6), 0xff}
	}
	g := uint8(8 + 10*(i-232)) // grey ramp
	return color.RGBA{g, g, g, 0xff}
}

// Face is the console's monospaced font, rasterized once per glyph into cell-sized masks.
type Face struct {
	regular, bold font.Face
	W, H, ascent  int
	cache         map[glyphKey]*image.Alpha
}

type glyphKey struct {
	r    rune
	bold bool
}

// NewFace loads Go Mono at size points (72 dpi: size is pixels).
func NewFace(size float64) (*Face, error) {
	load := func(ttf []byte) (font.Face, error) {
		f, err := opentype.Parse(ttf)
		if err != nil {
			return nil, err
		}
		return opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
	}
	reg, err := load(gomono.TTF)
	if err != nil {
		return nil, err
	}
	bold, err := load(gomonobold.TTF)
	if err != nil {
		return nil, err
	}
	m := reg.Metrics()
	adv, _ := reg.GlyphAdvance('M')
	return &Face{regular: reg, bold: bold, W: int(math.Ceil(float64(adv) / 64)),
		H: (m.Ascent + m.Descent).Ceil(), ascent: m.Ascent.Ceil(), cache: map[glyphKey]*image.Alpha{}}, nil
}

// glyph returns r's mask (cell-sized), drawing it on first use.
func (f *Face) glyph(r rune, bold bool) *image.Alpha {
	k := glyphKey{r, bold}
	if g, ok := f.cache[k]; ok {
		return g
	}
	mask := image.NewAlpha(image.Rect(0, 0, f.W, f.H))
	face := f.regular
	if bold {
		face = f.bold
	}
	d := font.Drawer{Dst: mask, Src: image.Opaque, Face: face, Dot: fixed.P(0, f.ascent)}
	d.DrawString(string(r))
	if len(f.cache) < 4096 {
		f.cache[k] = mask
	}
	return mask
}

// view is what one render shows: the lines (scrolled back or not), the cursor and the
// selection.
type view struct {
	rows    [][]Cell
	cursorX int
	cursorY int // -1: not shown
	sel     func(x, y int) bool
}

// renderer draws views into an RGBA picture, redrawing only rows that changed.
type renderer struct {
	face *Face
	img  *image.RGBA
	last [][]Cell // what each row showed, with the cursor and selection folded in
}

// drawView paints v into r.img (cols x rows cells plus Pad); it returns whether anything
// changed.
func (r *renderer) drawView(v view) bool {
	changed := false
	if len(r.last) != len(v.rows) {
		r.last = make([][]Cell, len(v.rows))
		draw.Draw(r.img, r.img.Rect, image.NewUniform(defaultBG), image.Point{}, draw.Src)
		changed = true
	}
	for y, row := range v.rows {
		shown := make([]Cell, len(row))
		copy(shown, row)
		for x := range shown {
			if v.sel != nil && v.sel(x, y) {
				shown[x].Attr ^= attrSelected
			}
		}
		if y == v.cursorY && v.cursorX >= 0 && v.cursorX < len(shown) {
			shown[v.cursorX].Attr ^= attrCursor
		}
		if slices.Equal(shown, r.last[y]) {
			continue
		}
		r.last[y] = shown
		changed = true
		for x, c := range shown {
			r.drawCell(x, y, c)
		}
	}
	return changed
}

// Render-only attribute bits (never set by a program).
const (
	attrSelected uint16 = 1 << 8
	attrCursor   uint16 = 1 << 9
)

func (r *renderer) drawCell(x, y int, c Cell) {
	fg, bg := rgb(c.FG, defaultFG), rgb(c.BG, defaultBG)
	if c.FG > 0 && c.FG <= 8 && c.Attr&AttrBold != 0 {
		fg = ansi16[c.FG-1+8] // bold brightens the eight basic colours, as xterm does
	}
	if c.Attr&AttrInverse != 0 {
		fg, bg = bg, fg
	}
	if c.Attr&AttrDim != 0 {
		fg = color.RGBA{uint8((int(fg.R) + int(bg.R)) / 2), uint8((int(fg.G) + int(bg.G)) / 2), uint8((int(fg.B) + int(bg.B)) / 2), 0xff}
	}
	if c.Attr&attrSelected != 0 {
		bg = selectBG
	}
	if c.Attr&attrCursor != 0 {
		fg, bg = bg, cursorCol
	}
	f := r.face
	x0, y0 := Pad+x*f.W, Pad+y*f.H
	cell := image.Rect(x0, y0, x0+f.W, y0+f.H)
	draw.Draw(r.img, cell, image.NewUniform(bg), image.Point{}, draw.Src)
	if c.R > ' ' && c.Attr&AttrHidden == 0 {
		draw.DrawMask(r.img, cell, image.NewUniform(fg), image.Point{}, f.glyph(c.R, c.Attr&AttrBold != 0), image.Point{}, draw.Over)
	}
	if c.Attr&AttrUnderline != 0 {
		draw.Draw(r.img, image.Rect(x0, y0+f.ascent+1, x0+f.W, y0+f.ascent+2), image.NewUniform(fg), image.Point{}, draw.Src)
	}
	if c.Attr&AttrStrike != 0 {
		mid := y0 + f.H/2
		draw.Draw(r.img, image.Rect(x0, mid, x0+f.W, mid+1), image.NewUniform(fg), image.Point{}, draw.Src)
	}
}
