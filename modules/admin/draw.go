package main

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"time"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

var (
	bg        = color.RGBA{0xf6, 0xf7, 0xf9, 0xff}
	fg        = color.RGBA{0x1d, 0x23, 0x30, 0xff}
	muted     = color.RGBA{0x6b, 0x73, 0x85, 0xff}
	line      = color.RGBA{0xe2, 0xe5, 0xea, 0xff}
	titleBG   = color.RGBA{0x1d, 0x23, 0x30, 0xff}
	titleFG   = color.RGBA{0xff, 0xff, 0xff, 0xff}
	subFG     = color.RGBA{0xaa, 0xb2, 0xc5, 0xff}
	headBG    = color.RGBA{0xee, 0xf0, 0xf4, 0xff}
	rowBG     = color.RGBA{0xff, 0xff, 0xff, 0xff}
	rowAltBG  = color.RGBA{0xfa, 0xfb, 0xfc, 0xff}
	bad       = color.RGBA{0xd3, 0x2f, 0x2f, 0xff}
	buttonBG  = color.RGBA{0xff, 0xff, 0xff, 0xff}
	buttonBor = color.RGBA{0xc5, 0xca, 0xd6, 0xff}
	logsBG    = color.RGBA{0x11, 0x15, 0x1c, 0xff}
	logsFG    = color.RGBA{0xd8, 0xde, 0xe9, 0xff}
)

// stateColors are the state badge colours: background, text.
var stateColors = map[string][2]color.RGBA{
	"running":  {{0xe6, 0xf4, 0xea, 0xff}, {0x2e, 0x7d, 0x32, 0xff}},
	"blocked":  {{0xff, 0xf4, 0xe0, 0xff}, {0x9a, 0x67, 0x00, 0xff}},
	"starting": {{0xe8, 0xea, 0xf6, 0xff}, {0x3d, 0x5a, 0xfe, 0xff}},
	"stopping": {{0xe8, 0xea, 0xf6, 0xff}, {0x3d, 0x5a, 0xfe, 0xff}},
	"crashed":  {{0xfd, 0xec, 0xea, 0xff}, {0xd3, 0x2f, 0x2f, 0xff}},
	"exited":   {{0xec, 0xef, 0xf1, 0xff}, {0x6b, 0x73, 0x85, 0xff}},
}

type fonts struct{ regular, bold, title, small font.Face }

func loadFonts() (*fonts, error) {
	face := func(ttf []byte, size float64) (font.Face, error) {
		f, err := opentype.Parse(ttf)
		if err != nil {
			return nil, err
		}
		return opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
	}
	var fs fonts
	var err error
	if fs.regular, err = face(goregular.TTF, 12); err != nil {
		return nil, err
	}
	if fs.bold, err = face(gobold.TTF, 12); err != nil {
		return nil, err
	}
	if fs.small, err = face(goregular.TTF, 11); err != nil {
		return nil, err
	}
	if fs.title, err = face(gobold.TTF, 17); err != nil {
		return nil, err
	}
	return &fs, nil
}

func fill(img *image.RGBA, r image.Rectangle, c color.RGBA) {
	draw.Draw(img, r, image.NewUniform(c), image.Point{}, draw.Src)
}

// text draws s with its baseline at (x, y), cut with an ellipsis to fit maxW (0: no limit).
func text(img *image.RGBA, f font.Face, x, y, maxW int, c color.RGBA, s string) int {
	d := &font.Drawer{Dst: img, Src: image.NewUniform(c), Face: f}
	if maxW > 0 && d.MeasureString(s).Ceil() > maxW {
		r := []rune(s)
		for len(r) > 0 && d.MeasureString(string(r)+"…").Ceil() > maxW {
			r = r[:len(r)-1]
		}
		s = string(r) + "…"
	}
	d.Dot = fixed.P(x, y)
	d.DrawString(s)
	return d.Dot.X.Ceil()
}

// triangle draws a small sort arrow centred at (x, y), pointing down when down is set.
func triangle(img *image.RGBA, x, y int, down bool, c color.RGBA) {
	for i := 0; i < 4; i++ {
		row := y - 2 + i
		half := i
		if down {
			half = 3 - i
		}
		fill(img, image.Rect(x-half, row, x+half+1, row+1), c)
	}
}

func width(f font.Face, s string) int { return (&font.Drawer{Face: f}).MeasureString(s).Ceil() }

// render draws the whole panel into img.
func (t *table) render(img *image.RGBA, fs *fonts, now time.Time) {
	fill(img, img.Bounds(), bg)
	// Title bar.
	fill(img, image.Rect(0, 0, t.w, headerH), titleBG)
	x := text(img, fs.title, pad+4, 28, 0, titleFG, "Orbital admin")
	running := 0
	for _, p := range t.procs {
		if p.State == "running" || p.State == "blocked" {
			running++
		}
	}
	text(img, fs.regular, x+16, 27, 0, subFG, fmt.Sprintf("%d processes, %d running · updated %s", len(t.procs), running, now.Format("15:04:05")))
	t.renderTabs(img, fs)
	if t.view != viewProcs {
		t.renderList(img, fs, now)
		t.renderStatus(img, fs)
		return
	}

	// Column header.
	fill(img, image.Rect(0, headerH, t.w, headerH+colHeadH), headBG)
	cx := pad
	for i, c := range columns {
		hc := c
		hc.width += 4
		t.cell(img, fs.small, cx, headerH+17, hc, c.title, fg)
		if i == t.sortCol {
			triangle(img, cx+c.width-3, headerH+13, t.desc, bad)
		}
		cx += c.width
	}
	text(img, fs.small, cx, headerH+17, 0, fg, "Actions")
	fill(img, image.Rect(0, headerH+colHeadH-1, t.w, headerH+colHeadH), line)

	// Rows.
	for i := 0; i < t.visibleRows() && t.scroll+i < len(t.procs); i++ {
		p := t.procs[t.scroll+i]
		r := t.rowBackground(img, i)
		cx := pad
		for _, col := range columns {
			s := col.text(p, now)
			if col.title == "State" {
				sc, ok := stateColors[s]
				if !ok {
					sc = stateColors["exited"]
				}
				bw := width(fs.regular, s) + 12
				fill(img, image.Rect(cx, r.Min.Y+4, cx+bw, r.Max.Y-4), sc[0])
				text(img, fs.regular, cx+6, r.Min.Y+16, 0, sc[1], s)
			} else {
				t.cell(img, fs.regular, cx, r.Min.Y+16, col, s, fg)
			}
			cx += col.width
		}
		for a, name := range actions {
			br := t.buttonRect(i, a)
			if p.Protected && name != "Logs" {
				continue
			}
			fill(img, br, buttonBor)
			fill(img, br.Inset(1), buttonBG)
			lc := fg
			if name == "Kill" {
				lc = bad
			}
			text(img, fs.regular, br.Min.X+(br.Dx()-width(fs.regular, name))/2, br.Min.Y+13, 0, lc, name)
		}
	}
	if len(t.procs) == 0 {
		text(img, fs.regular, pad+4, headerH+colHeadH+18, 0, muted, "No processes (waiting for sys.ps)")
	}

	// Log pane.
	if t.logsPID != 0 {
		y0 := t.h - statusH - logsH
		fill(img, image.Rect(0, y0, t.w, y0+logsH), logsBG)
		text(img, fs.bold, pad+4, y0+16, 0, titleFG, fmt.Sprintf("Logs of pid %d (click Logs again to close)", t.logsPID))
		n := (logsH - 24) / 15
		lines := t.logs
		if len(lines) > n {
			lines = lines[len(lines)-n:]
		}
		for i, l := range lines {
			text(img, fs.regular, pad+4, y0+34+i*15, t.w-2*pad, logsFG, l)
		}
	}

	t.renderStatus(img, fs)
}

// renderStatus draws the status line at the bottom.
func (t *table) renderStatus(img *image.RGBA, fs *fonts) {
	y0 := t.h - statusH
	fill(img, image.Rect(0, y0, t.w, t.h), headBG)
	sc := muted
	if t.bad {
		sc = bad
	}
	status := t.status
	if n := t.rows(); status == "" && n > t.visibleRows() {
		status = fmt.Sprintf("rows %d-%d of %d (scroll for more)", t.scroll+1, min(t.scroll+t.visibleRows(), n), n)
	}
	text(img, fs.regular, pad+4, y0+15, t.w-2*pad, sc, status)
}

// rowBackground fills visible row i (striped, with its bottom line) and returns its rectangle.
func (t *table) rowBackground(img *image.RGBA, i int) image.Rectangle {
	r := t.rowRect(i)
	c := rowBG
	if i%2 == 1 {
		c = rowAltBG
	}
	fill(img, r, c)
	fill(img, image.Rect(0, r.Max.Y-1, t.w, r.Max.Y), line)
	return r
}

func (t *table) cell(img *image.RGBA, f font.Face, x, y int, c column, s string, col color.RGBA) {
	w := c.width - 10
	if c.right {
		sw := width(f, s)
		if sw < w {
			x += w - sw
		}
	}
	text(img, f, x, y, w, col, s)
}
