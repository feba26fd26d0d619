package jsrt

import (
	"image"
	"image/color"
	"math"

	"github.com/dop251/goja"
	"github.com/orbital/orbital/modules/sdk/canvas"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// pen is a window's drawing state, as a 2D canvas context keeps it.
type pen struct {
	fill, stroke       color.RGBA // straight alpha
	fillSrc, strokeSrc string     // as the script set them
	width              float64
}

func newPen() pen {
	black := color.RGBA{A: 255}
	return pen{fill: black, stroke: black, fillSrc: "#000000", strokeSrc: "#000000", width: 1}
}

// face is the one font: 7x13 pixels per character, fixed width, ASCII and Latin-1.
var face = basicfont.Face7x13

// maxImageData bounds createImageData and getImageData (the largest surface is 8192x8192).
const maxImageData = 8192

// bindDrawing adds a 2D-canvas-like drawing API to a window object. Coordinates are pixels,
// (0, 0) top left; drawing shows at the next frame (or at win.present()).
func (r *Runtime) bindDrawing(w *window, o *goja.Object) {
	r.bindPen(w, o)
	r.bindShapes(w, o)
	r.bindImageData(w, o)
}

// bindPen defines fillStyle, strokeStyle and lineWidth.
func (r *Runtime) bindPen(w *window, o *goja.Object) {
	vm := r.vm
	style := func(name string, get func() string, set func(c color.RGBA, src string)) {
		o.DefineAccessorProperty(name,
			vm.ToValue(func(goja.FunctionCall) goja.Value { return vm.ToValue(get()) }),
			vm.ToValue(func(call goja.FunctionCall) goja.Value {
				src := call.Argument(0).String()
				if c, ok := parseColor(src); ok { // an unknown colour is ignored, as canvas does
					set(c, src)
				}
				return goja.Undefined()
			}), goja.FLAG_FALSE, goja.FLAG_TRUE)
	}
	style("fillStyle", func() string { return w.pen.fillSrc }, func(c color.RGBA, s string) { w.pen.fill, w.pen.fillSrc = c, s })
	style("strokeStyle", func() string { return w.pen.strokeSrc }, func(c color.RGBA, s string) { w.pen.stroke, w.pen.strokeSrc = c, s })
	o.DefineAccessorProperty("lineWidth",
		vm.ToValue(func(goja.FunctionCall) goja.Value { return vm.ToValue(w.pen.width) }),
		vm.ToValue(func(call goja.FunctionCall) goja.Value {
			if v := call.Argument(0).ToFloat(); v > 0 && !math.IsInf(v, 0) {
				w.pen.width = v
			}
			return goja.Undefined()
		}), goja.FLAG_FALSE, goja.FLAG_TRUE)
}

// bindShapes defines the methods that draw shapes and text.
func (r *Runtime) bindShapes(w *window, o *goja.Object) {
	vm := r.vm
	// drawing wraps a method that draws: the window must be open, and is marked drawn.
	drawing := func(name string, fn func(a []float64, call goja.FunctionCall)) {
		o.Set(name, func(call goja.FunctionCall) goja.Value {
			w.live()
			a := make([]float64, len(call.Arguments))
			for i, v := range call.Arguments {
				a[i] = v.ToFloat()
			}
			a = append(a, 0, 0, 0, 0) // missing arguments are 0
			fn(a, call)
			w.dirty = true
			return goja.Undefined()
		})
	}
	drawing("fillRect", func(a []float64, _ goja.FunctionCall) { fillRect(w.img, rectOf(a), w.pen.fill) })
	drawing("clearRect", func(a []float64, _ goja.FunctionCall) { canvas.Fill(w.img, rectOf(a), color.RGBA{}) })
	drawing("fillCircle", func(a []float64, _ goja.FunctionCall) { canvas.Circle(w.img, a[0], a[1], a[2], w.pen.fill) })
	drawing("strokeCircle", func(a []float64, _ goja.FunctionCall) {
		canvas.Ring(w.img, a[0], a[1], a[2], w.pen.width, w.pen.stroke)
	})
	drawing("line", func(a []float64, _ goja.FunctionCall) {
		canvas.Line(w.img, a[0], a[1], a[2], a[3], w.pen.width, w.pen.stroke)
	})
	drawing("fillText", func(a []float64, call goja.FunctionCall) {
		d := font.Drawer{Dst: w.img, Src: image.NewUniform(premultiplied(w.pen.fill)), Face: face,
			Dot: fixed.P(int(math.Round(a[1])), int(math.Round(a[2])))}
		d.DrawString(call.Argument(0).String())
	})
	o.Set("measureText", func(call goja.FunctionCall) goja.Value {
		m := vm.NewObject()
		m.Set("width", font.MeasureString(face, call.Argument(0).String()).Round())
		m.Set("height", face.Metrics().Height.Round())
		return m
	})
}

// bindImageData defines createImageData, getImageData and putImageData.
func (r *Runtime) bindImageData(w *window, o *goja.Object) {
	o.Set("createImageData", func(call goja.FunctionCall) goja.Value {
		return r.imageData(image.NewRGBA(r.imageRect(0, 0, call.Argument(0), call.Argument(1))))
	})
	o.Set("getImageData", func(call goja.FunctionCall) goja.Value {
		w.live()
		x, y := int(call.Argument(0).ToInteger()), int(call.Argument(1).ToInteger())
		rect := r.imageRect(x, y, call.Argument(2), call.Argument(3))
		img := image.NewRGBA(image.Rect(0, 0, rect.Dx(), rect.Dy()))
		copyRect(img, image.Point{}, w.img, rect)
		return r.imageData(img)
	})
	o.Set("putImageData", func(call goja.FunctionCall) goja.Value {
		w.live()
		src := r.fromImageData(call.Argument(0))
		x, y := int(call.Argument(1).ToInteger()), int(call.Argument(2).ToInteger())
		copyRect(w.img, image.Pt(x, y), src, src.Rect)
		w.dirty = true
		return goja.Undefined()
	})
}

// rectOf is the pixel rectangle of (x, y, w, h), edges rounded; a negative size extends left
// or up, as canvas does.
func rectOf(a []float64) image.Rectangle {
	x0, y0, x1, y1 := a[0], a[1], a[0]+a[2], a[1]+a[3]
	clamp := func(v float64) int { return int(math.Round(math.Max(-1<<20, math.Min(1<<20, v)))) }
	return image.Rect(clamp(x0), clamp(y0), clamp(x1), clamp(y1))
}

// fillRect paints r with c (straight alpha) over what is there.
func fillRect(img *image.RGBA, r image.Rectangle, c color.RGBA) {
	if c.A == 255 {
		canvas.Fill(img, r, c)
		return
	}
	r = r.Intersect(img.Rect)
	p := premultiplied(c)
	k := 255 - uint32(c.A)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		row := img.Pix[img.PixOffset(r.Min.X, y):img.PixOffset(r.Max.X, y)]
		for i := 0; i < len(row); i += 4 {
			row[i] = p.R + uint8((uint32(row[i])*k+127)/255)
			row[i+1] = p.G + uint8((uint32(row[i+1])*k+127)/255)
			row[i+2] = p.B + uint8((uint32(row[i+2])*k+127)/255)
			row[i+3] = p.A + uint8((uint32(row[i+3])*k+127)/255)
		}
	}
}

func premultiplied(c color.RGBA) color.RGBA {
	a := uint32(c.A)
	return color.RGBA{uint8((uint32(c.R)*a + 127) / 255), uint8((uint32(c.G)*a + 127) / 255),
		uint8((uint32(c.B)*a + 127) / 255), c.A}
}

// imageRect checks an image size given by the script and returns the rectangle at (x, y).
func (r *Runtime) imageRect(x, y int, wv, hv goja.Value) image.Rectangle {
	w, h := wv.ToInteger(), hv.ToInteger()
	if w <= 0 || h <= 0 || w > maxImageData || h > maxImageData {
		panic(r.vm.NewTypeError("image size must be 1..8192 on each side"))
	}
	return image.Rect(x, y, x+int(w), y+int(h))
}

// imageData is an ImageData: {width, height, data: Uint8ClampedArray} over img's pixels.
func (r *Runtime) imageData(img *image.RGBA) goja.Value {
	vm := r.vm
	data, err := vm.New(vm.Get("Uint8ClampedArray"), vm.ToValue(vm.NewArrayBuffer(img.Pix)))
	if err != nil {
		panic(err)
	}
	o := vm.NewObject()
	o.Set("width", img.Rect.Dx())
	o.Set("height", img.Rect.Dy())
	o.Set("data", data)
	return o
}

// fromImageData reads any {width, height, data} whose data holds width*height*4 bytes.
func (r *Runtime) fromImageData(v goja.Value) *image.RGBA {
	o, ok := v.(*goja.Object)
	if !ok {
		panic(r.vm.NewTypeError("putImageData: want an ImageData {width, height, data}"))
	}
	rect := r.imageRect(0, 0, o.Get("width"), o.Get("height"))
	data := o.Get("data")
	var pix []byte
	if data != nil {
		pix, ok = r.bytesOf(data)
	}
	if !ok || len(pix) < rect.Dx()*rect.Dy()*4 {
		panic(r.vm.NewTypeError("putImageData: data must hold width*height*4 bytes"))
	}
	return &image.RGBA{Pix: pix, Stride: rect.Dx() * 4, Rect: rect}
}

// copyRect copies src's pixels in sr to dst with sr.Min landing at dp, clipped to both
// images (what lies outside src leaves dst as it was).
func copyRect(dst *image.RGBA, dp image.Point, src *image.RGBA, sr image.Rectangle) {
	delta := dp.Sub(sr.Min)
	d := sr.Intersect(src.Rect).Add(delta).Intersect(dst.Rect)
	if d.Empty() {
		return
	}
	s := d.Sub(delta)
	for y := 0; y < d.Dy(); y++ {
		copy(dst.Pix[dst.PixOffset(d.Min.X, d.Min.Y+y):dst.PixOffset(d.Max.X, d.Min.Y+y)],
			src.Pix[src.PixOffset(s.Min.X, s.Min.Y+y):])
	}
}
