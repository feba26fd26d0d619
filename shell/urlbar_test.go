package shell

import (
	"image"
	"image/color"
	"testing"
)

func testFonts(t *testing.T) *Fonts {
	t.Helper()
	f, err := LoadFonts(1)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestURLBarPosAt(t *testing.T) {
	fonts := testFonts(t)
	b := &URLBar{Focused: true}
	b.Field.SetText("clock")
	const width = 1280
	x0 := textOrigin(width)
	tests := []struct {
		x    int
		want int
	}{
		{x0 - 50, 0},
		{x0, 0},
		{x0 + textWidth(fonts.UI, "clo"), 3},
		{x0 + textWidth(fonts.UI, "clo") + 1, 3},
		{x0 + textWidth(fonts.UI, "clock") + 200, 5},
	}
	for _, tt := range tests {
		if got := b.PosAt(fonts, width, tt.x); got != tt.want {
			t.Errorf("PosAt(%d) = %d, want %d", tt.x, got, tt.want)
		}
	}
}

func near(a, b color.RGBA, tol int) bool {
	d := func(x, y uint8) int { return max(int(x)-int(y), int(y)-int(x)) }
	return d(a.R, b.R) <= tol && d(a.G, b.G) <= tol && d(a.B, b.B) <= tol
}

// TestURLBarDrawsSelectionAndCursor checks the picture where it matters: the selection is
// highlighted under the selected runes only, and the cursor is drawn at its position.
func TestURLBarDrawsSelectionAndCursor(t *testing.T) {
	fonts := testFonts(t)
	b := &URLBar{Focused: true}
	b.Field.SetText("http://example.com/clock.wasm")
	b.Field.SelectWord(10) // "example"
	const width = 1280
	img := b.Draw(fonts, width)
	offs := runeOffsets(fonts.UI, b.Field.Text())
	x0 := textOrigin(width)
	f := fieldRect(width)
	y := f.Min.Y + 9 // above the glyphs, inside the selection band
	inSel := image.Pt(x0+(offs[7]+offs[14])/2, y)
	if c := img.RGBAAt(inSel.X, inSel.Y); !near(c, colSelection, 8) {
		t.Errorf("pixel %v inside the selection is %v, want the selection colour %v", inSel, c, colSelection)
	}
	outside := image.Pt(x0+offs[20], y)
	if c := img.RGBAAt(outside.X, outside.Y); near(c, colSelection, 8) {
		t.Errorf("pixel %v outside the selection is highlighted", outside)
	}
	// The cursor sits at the selection's end (after "example").
	cx := x0 + offs[14]
	if c := img.RGBAAt(cx, f.Min.Y+urlFieldH/2); !near(c, colAccent, 8) {
		t.Errorf("no cursor at x=%d: %v", cx, c)
	}
}

func TestURLBarErrorLineAndProgress(t *testing.T) {
	fonts := testFonts(t)
	b := &URLBar{}
	b.SetError("http://127.0.0.1/x.wasm: server answered 404 Not Found\nsecond line")
	if b.Error() == "" {
		t.Fatal("error not kept")
	}
	img := b.DrawError(fonts, 800)
	if c := img.RGBAAt(1, errorLineH/2); !near(c, colErrorEdge, 4) {
		t.Errorf("error line has no red edge: %v", c)
	}
	b.SetBusy(true, "Downloading")
	b.SetProgress(512<<10, 2<<20)
	if got, want := b.statusText(), "Downloading  512 KB of 2.0 MB"; got != want {
		t.Errorf("statusText = %q, want %q", got, want)
	}
	bar := b.Draw(fonts, 800)
	f := fieldRect(800)
	track := image.Rect(f.Min.X+10, f.Max.Y-4, f.Max.X-10, f.Max.Y-2)
	quarter := track.Min.X + track.Dx()/4
	if c := bar.RGBAAt(quarter-3, track.Min.Y); !near(c, colAccent, 8) {
		t.Errorf("progress line not filled before 25%%: %v", c)
	}
	if c := bar.RGBAAt(quarter+6, track.Min.Y); near(c, colAccent, 8) {
		t.Errorf("progress line filled past 25%%")
	}
}

func TestShortNameAndOneLine(t *testing.T) {
	for in, want := range map[string]string{
		"clock":                            "clock",
		"http://h:1/apps/paint.wasm?x=1":   "paint.wasm",
		"/home/me/mods/life.wasm":          "life.wasm",
		"https://example.com/":             "example.com",
		"file:///tmp/a%20b/trap.wasm#frag": "trap.wasm",
	} {
		if got := shortName(in); got != want {
			t.Errorf("shortName(%q) = %q, want %q", in, got, want)
		}
	}
	if got := oneLine("first\nsecond"); got != "first" {
		t.Errorf("oneLine = %q", got)
	}
}
