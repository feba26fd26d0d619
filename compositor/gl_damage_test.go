//go:build cgo

package compositor

import (
	"fmt"
	"image"
	"slices"
	"testing"

	"github.com/go-gl/gl/v3.3-core/gl"
)

// TestGLDamageMatchesFullRedraw runs the damage sequence on a GL device that redraws only what
// changed, into the window's framebuffer, which is never swapped here and so holds the last
// frame. Told so (target age 1) the device draws there directly; told age 2 it redraws two
// frames' damage there (more than needed, still right); told nothing (age 0) it redraws the
// damage in its own framebuffer and copies that whole. At every step the picture read back
// from the window must equal exactly a full redraw by a second GL device into a framebuffer of
// its own, and the software device's picture within rounding.
func TestGLDamageMatchesFullRedraw(t *testing.T) {
	const w, h = 320, 240
	inc := glWindow(t, w, h)
	var ref *GL
	var err error
	onMain(func() { ref, err = NewGL(w, h, 1) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { onMain(ref.Release) }) // before glWindow's cleanup destroys the context
	fullFrame := Region{image.Rect(0, 0, w, h)}
	for _, age := range []int{1, 2, 0} {
		t.Run(fmt.Sprintf("age=%d", age), func(t *testing.T) {
			ds := newDamageScene(t)
			sw := NewSoftware(w, h)
			got, want := image.NewRGBA(image.Rect(0, 0, w, h)), image.NewRGBA(image.Rect(0, 0, w, h))
			var prev Region
			for i, st := range damageSteps {
				st.do(t, ds)
				var damage, copied Region
				onMain(func() {
					inc.SetTargetAge(age)
					if i == 0 {
						inc.Invalidate() // a new scene: forget the last subtest's
					}
					if err = inc.Compose(ds.s, got); err != nil {
						return
					}
					damage, copied = inc.Damage(), inc.TargetDamage()
					var free func()
					if free, err = bindTarget(w, h); err != nil {
						return
					}
					defer free()
					ref.Invalidate()
					err = ref.Compose(ds.s, want)
				})
				if err != nil {
					t.Fatalf("%s: %v", st.name, err)
				}
				checkDamage(t, st, damage)
				wantCopied := fullFrame
				switch {
				case i == 0 || age == 0:
				case age == 1:
					wantCopied = damage
				case age == 2 && i >= 2:
					wantCopied = append(Region(nil), damage...).Union(prev)
				}
				if !slices.Equal(copied, wantCopied) {
					t.Errorf("%s: wrote %v into the target, want %v", st.name, copied, wantCopied)
				}
				prev = damage
				if err := sw.Compose(ds.s, nil); err != nil {
					t.Fatal(err)
				}
				t.Run(st.name, func(t *testing.T) {
					compareFrames(t, got, want, 0)
					compareFrames(t, got, sw.Frame(), 2)
				})
			}
		})
	}
}

// TestGLTargetAge: what Compose writes into its target for each age the caller states, and
// that the picture stays right as it goes from drawing there directly to drawing in its own
// framebuffer (which fell behind meanwhile) and back.
func TestGLTargetAge(t *testing.T) {
	const w, h = 200, 100
	dev := glWindow(t, w, h)
	s := NewScene()
	a := mustCreate(t, s, 1, 20, 20)
	a.Move(10, 10)
	b := mustCreate(t, s, 2, 30, 30)
	b.Move(100, 50)
	fullFrame := Region{image.Rect(0, 0, w, h)}
	ra, rb := image.Rect(10, 10, 30, 30), image.Rect(100, 50, 130, 80)
	steps := []struct {
		name    string
		age     int
		present *Surface
		want    Region
	}{
		{"first frame, age 1: nothing known yet", 1, a, fullFrame},
		{"age 1: this frame's damage", 1, a, Region{ra}},
		{"age 2: this frame's and the last", 2, b, Region{rb, ra}},
		{"age 0: unknown", 0, b, fullFrame},
		{"age past what was recorded", maxTargetAge + 1, a, fullFrame},
		{"age 3", 3, a, Region{ra, rb}},
	}
	sw := NewSoftware(w, h)
	pic := image.NewRGBA(image.Rect(0, 0, w, h))
	for i, st := range steps {
		presentGradient(t, st.present, uint8(40*i))
		var got Region
		var err error
		onMain(func() {
			dev.SetTargetAge(st.age)
			err = dev.Compose(s, pic)
			got = dev.TargetDamage()
		})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, st.want) {
			t.Errorf("%s: wrote %v into the target, want %v", st.name, got, st.want)
		}
		if err := sw.Compose(s, nil); err != nil {
			t.Fatal(err)
		}
		t.Run(st.name, func(t *testing.T) { compareFrames(t, pic, sw.Frame(), 2) })
	}
}

// TestGLDamageHiDPI runs the damage sequence at framebuffer scales 2 and 1.25 (a damaged
// desktop pixel then covers whole and partial framebuffer pixels): the device redrawing only
// what changed, straight into a framebuffer that keeps its last frame, must equal a full
// redraw at the same scale exactly.
func TestGLDamageHiDPI(t *testing.T) {
	const w, h = 320, 240
	glWindow(t, w, h)
	for _, scale := range []float64{2, 1.25} {
		t.Run(fmt.Sprintf("scale=%v", scale), func(t *testing.T) {
			fw, fh := int(w*scale), int(h*scale)
			var inc, ref *GL
			var incFBO uint32
			var freeInc func()
			var err error
			onMain(func() {
				if inc, err = NewGL(fw, fh, scale); err != nil {
					return
				}
				if ref, err = NewGL(fw, fh, scale); err != nil {
					inc.Release()
					return
				}
				if incFBO, freeInc, err = newTarget(fw, fh); err != nil {
					inc.Release()
					ref.Release()
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { onMain(func() { freeInc(); inc.Release(); ref.Release() }) })
			ds := newDamageScene(t)
			got, want := image.NewRGBA(image.Rect(0, 0, fw, fh)), image.NewRGBA(image.Rect(0, 0, fw, fh))
			for _, st := range damageSteps {
				st.do(t, ds)
				onMain(func() {
					gl.BindFramebuffer(gl.FRAMEBUFFER, incFBO)
					inc.SetTargetAge(1)
					if err = inc.Compose(ds.s, got); err != nil {
						return
					}
					var free func()
					if free, err = bindTarget(fw, fh); err != nil {
						return
					}
					defer free()
					ref.Invalidate()
					err = ref.Compose(ds.s, want)
				})
				if err != nil {
					t.Fatalf("%s: %v", st.name, err)
				}
				t.Run(st.name, func(t *testing.T) { compareFrames(t, got, want, 0) })
			}
		})
	}
}
