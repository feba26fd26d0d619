package shell

import (
	"fmt"
	"image"
	"testing"
)

// fixedMeasure makes every character 8 pixels wide, so layouts are exact numbers.
func fixedMeasure(s string) int { return 8 * len([]rune(s)) }

func TestLayoutPrompt(t *testing.T) {
	p := PermissionPrompt{Module: "clockx", Lines: []string{"Open windows", "Use the camera device"}}
	l := layoutPrompt(p, 1280, fixedMeasure)
	wantH := promptPad + promptTitleH + 2*promptLineH + promptGap + promptButtonH + promptPad
	if l.size != image.Pt(promptW, wantH) {
		t.Fatalf("card size %v, want %dx%d", l.size, promptW, wantH)
	}
	if l.at != image.Pt(80, topBarH+6) {
		t.Fatalf("card at %v, want under the bar at x=80", l.at)
	}
	// Buttons: Deny, Allow once, Always allow, left to right, right-aligned, not overlapping,
	// all on the card.
	want := []Choice{ChoiceDeny, ChoiceAllowOnce, ChoiceAlways}
	for i, b := range l.buttons {
		if b.choice != want[i] {
			t.Errorf("button %d is %v, want %v", i, b.choice, want[i])
		}
		if !b.rect.In(image.Rectangle{Max: l.size}) {
			t.Errorf("button %q %v is off the card %v", b.label, b.rect, l.size)
		}
		if i > 0 && b.rect.Min.X < l.buttons[i-1].rect.Max.X {
			t.Errorf("button %q overlaps %q", b.label, l.buttons[i-1].label)
		}
	}
	if got := l.buttons[2].rect.Max.X; got != promptW-promptPad {
		t.Errorf("last button ends at %d, want %d", got, promptW-promptPad)
	}
	if w := l.buttons[2].rect.Dx(); w != fixedMeasure("Always allow")+28 {
		t.Errorf("Always allow is %d wide, want text+28", w)
	}
}

func TestLayoutPromptNarrowAndLong(t *testing.T) {
	lines := make([]string, 20)
	for i := range lines {
		lines[i] = fmt.Sprintf("Publish on t%d", i)
	}
	l := layoutPrompt(PermissionPrompt{Module: "m", Lines: lines}, 300, fixedMeasure)
	if l.size.X != 300-24 {
		t.Errorf("narrow desktop: card %d wide, want 276", l.size.X)
	}
	if l.at.X != 12 {
		t.Errorf("narrow desktop: card at x=%d, want centred at 12", l.at.X)
	}
	if len(l.lines) != promptMaxRows {
		t.Fatalf("%d rows shown, want %d", len(l.lines), promptMaxRows)
	}
	if last := l.lines[len(l.lines)-1]; last != "and 9 more" {
		t.Errorf("last row %q, want \"and 9 more\"", last)
	}
	if lines[promptMaxRows-1] != "Publish on t11" {
		t.Error("layoutPrompt changed the caller's lines")
	}
}

func TestPromptHit(t *testing.T) {
	l := layoutPrompt(PermissionPrompt{Module: "clockx", Lines: []string{"Open windows"}}, 1280, fixedMeasure)
	centre := func(i int) image.Point {
		r := l.buttons[i].rect.Add(l.at)
		return image.Pt((r.Min.X+r.Max.X)/2, (r.Min.Y+r.Max.Y)/2)
	}
	r0 := l.buttons[0].rect.Add(l.at)
	tests := []struct {
		name string
		p    image.Point
		want int
	}{
		{"deny centre", centre(0), 0},
		{"allow once centre", centre(1), 1},
		{"always centre", centre(2), 2},
		{"deny top-left corner", r0.Min, 0},
		{"just right of deny", image.Pt(r0.Max.X, r0.Min.Y+5), -1},
		{"card title", l.at.Add(image.Pt(30, 30)), -1},
		{"off the card", image.Pt(5, 5), -1},
		{"desktop origin-relative (not card) coordinates miss", l.buttons[2].rect.Min, -1},
	}
	for _, tt := range tests {
		if got := l.hit(tt.p); got != tt.want {
			t.Errorf("%s: hit(%v) = %d, want %d", tt.name, tt.p, got, tt.want)
		}
	}
	if !l.rect().Eq(image.Rectangle{Min: l.at, Max: l.at.Add(l.size)}) {
		t.Errorf("rect %v", l.rect())
	}
}

func TestDrawPrompt(t *testing.T) {
	fonts := testFonts(t)
	p := PermissionPrompt{Module: "clockx", Lines: []string{"Open windows up to 1920x1080"}}
	l := layoutPrompt(p, 1280, func(s string) int { return textWidth(fonts.UI, s) })
	img := drawPrompt(fonts, l, p.Module, -1)
	if img.Bounds().Size() != l.size {
		t.Fatalf("picture %v, want %v", img.Bounds().Size(), l.size)
	}
	// The Always button is filled in the accent's soft colour; hovering Deny lights it.
	at := func(img *image.RGBA, r image.Rectangle) [4]uint8 {
		c := img.RGBAAt(r.Min.X+4, (r.Min.Y+r.Max.Y)/2)
		return [4]uint8{c.R, c.G, c.B, c.A}
	}
	if got, want := at(img, l.buttons[2].rect), colAccentSoft; got != [4]uint8{want.R, want.G, want.B, want.A} {
		t.Errorf("Always allow button colour %v, want %v", got, want)
	}
	if got, want := at(img, l.buttons[0].rect), colField; got != [4]uint8{want.R, want.G, want.B, want.A} {
		t.Errorf("Deny button colour %v, want %v", got, want)
	}
	hov := drawPrompt(fonts, l, p.Module, 0)
	if got, want := at(hov, l.buttons[0].rect), colSelection; got != [4]uint8{want.R, want.G, want.B, want.A} {
		t.Errorf("hovered Deny colour %v, want %v", got, want)
	}
	// Text was drawn on the title row.
	lit := 0
	for x := promptPad; x < promptPad+100; x++ {
		for y := promptPad; y < promptPad+promptTitleH; y++ {
			if c := img.RGBAAt(x, y); c.R > 0xc0 && c.G > 0xc0 {
				lit++
			}
		}
	}
	if lit < 20 {
		t.Errorf("title row has %d bright pixels; the title was not drawn", lit)
	}
}
