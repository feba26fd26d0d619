package camera

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"testing"
)

// rgbToYUV is the forward BT.601 limited-range transform, to generate YUYV test frames.
func rgbToYUV(r, g, b int) (y, u, v byte) {
	yy := (66*r+129*g+25*b+128)>>8 + 16
	uu := (-38*r-74*g+112*b+128)>>8 + 128
	vv := (112*r-94*g-18*b+128)>>8 + 128
	return byte(yy), byte(uu), byte(vv)
}

func testImage(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			// smooth gradients (chroma constant over pixel pairs, as 4:2:2 requires)
			img.SetRGBA(x, y, color.RGBA{uint8(x / 2 * 2 * 255 / w), uint8(y * 255 / h), uint8(128 + (x/2)%64), 255})
		}
	}
	return img
}

func absDiff(a, b byte) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

func TestYUYVKnownColours(t *testing.T) {
	cases := []struct {
		name    string
		y, u, v byte
		want    [3]byte
	}{
		{"white", 235, 128, 128, [3]byte{255, 255, 255}},
		{"black", 16, 128, 128, [3]byte{0, 0, 0}},
		{"red", 81, 90, 240, [3]byte{255, 0, 0}},
		{"green", 145, 54, 34, [3]byte{0, 255, 0}},
		{"blue", 41, 240, 110, [3]byte{0, 0, 255}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := []byte{c.y, c.u, c.y, c.v}
			dst := make([]byte, 8)
			if err := YUYVToRGBA(dst, 8, src, 4, 2, 1); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 3; i++ {
				if absDiff(dst[i], c.want[i]) > 3 || dst[4+i] != dst[i] {
					t.Fatalf("got %v, want %v", dst, c.want)
				}
			}
			if dst[3] != 255 || dst[7] != 255 {
				t.Fatalf("alpha %v", dst)
			}
		})
	}
}

func TestYUYVRoundTrip(t *testing.T) {
	const w, h = 64, 48
	img := testImage(w, h)
	stride := 2*w + 16 // padded rows, as some devices send
	src := make([]byte, stride*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x += 2 {
			p := img.RGBAAt(x, y)
			y0, u, v := rgbToYUV(int(p.R), int(p.G), int(p.B))
			q := img.RGBAAt(x+1, y)
			y1, _, _ := rgbToYUV(int(q.R), int(q.G), int(q.B))
			copy(src[y*stride+2*x:], []byte{y0, u, y1, v})
		}
	}
	dst := make([]byte, 4*w*h)
	if err := YUYVToRGBA(dst, 4*w, src, stride, w, h); err != nil {
		t.Fatal(err)
	}
	worst := 0
	for i := range dst {
		if i%4 == 3 {
			continue
		}
		worst = max(worst, absDiff(dst[i], img.Pix[i]))
	}
	if worst > 4 {
		t.Fatalf("round trip error %d > 4", worst)
	}
}

func TestYUYVBadInput(t *testing.T) {
	dst := make([]byte, 4*4*4)
	cases := map[string]func() error{
		"odd width":   func() error { return YUYVToRGBA(dst, 12, make([]byte, 6*4), 6, 3, 4) },
		"short frame": func() error { return YUYVToRGBA(dst, 16, make([]byte, 10), 8, 4, 4) },
		"small dst":   func() error { return YUYVToRGBA(dst[:20], 16, make([]byte, 32), 8, 4, 4) },
	}
	for name, f := range cases {
		if err := f(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func encodeJPEG(t *testing.T, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// stripDHT removes every DHT segment, as many webcams send MJPEG.
func stripDHT(j []byte) []byte {
	out := []byte{j[0], j[1]}
	for i := 2; i+4 <= len(j); {
		m := j[i+1]
		n := int(j[i+2])<<8 | int(j[i+3])
		if m == 0xda {
			return append(out, j[i:]...)
		}
		if m != 0xc4 {
			out = append(out, j[i:i+2+n]...)
		}
		i += 2 + n
	}
	return out
}

func TestMJPEG(t *testing.T) {
	const w, h = 64, 48
	img := testImage(w, h)
	full := encodeJPEG(t, img)
	for name, frame := range map[string][]byte{"with DHT": full, "without DHT": stripDHT(full)} {
		t.Run(name, func(t *testing.T) {
			if name == "without DHT" && bytes.Contains(frame, []byte{0xff, 0xc4}) {
				t.Fatal("DHT not stripped")
			}
			dst := make([]byte, 4*w*h)
			if err := MJPEGToRGBA(dst, 4*w, frame, w, h); err != nil {
				t.Fatal(err)
			}
			sum := 0
			for i := range dst {
				if i%4 == 3 {
					if dst[i] != 255 {
						t.Fatal("alpha")
					}
					continue
				}
				sum += absDiff(dst[i], img.Pix[i])
			}
			if mean := float64(sum) / float64(3*w*h); mean > 3 {
				t.Fatalf("mean error %.2f > 3", mean)
			}
		})
	}
}

func TestMJPEGBadInput(t *testing.T) {
	dst := make([]byte, 4*64*48)
	if err := MJPEGToRGBA(dst, 256, []byte("not a jpeg"), 64, 48); !errors.Is(err, ErrBadJPEG) {
		t.Fatalf("garbage: %v", err)
	}
	good := encodeJPEG(t, testImage(64, 48))
	if err := MJPEGToRGBA(dst, 256, good[:len(good)/2], 64, 48); !errors.Is(err, ErrBadJPEG) {
		t.Fatalf("truncated: %v", err)
	}
	if err := MJPEGToRGBA(make([]byte, 4*32*32), 128, good, 32, 32); err == nil {
		t.Fatal("size mismatch accepted")
	}
}

func FuzzMJPEG(f *testing.F) {
	var b bytes.Buffer
	jpeg.Encode(&b, testImage(16, 16), nil)
	f.Add(b.Bytes())
	f.Add(stripDHT(b.Bytes()))
	dst := make([]byte, 4*16*16)
	f.Fuzz(func(t *testing.T, frame []byte) {
		MJPEGToRGBA(dst, 64, frame, 16, 16)
	})
}

func BenchmarkConvert(b *testing.B) {
	const w, h = 1280, 720
	dst := make([]byte, 4*w*h)
	b.Run("base=memcpy-frame", func(b *testing.B) {
		src := make([]byte, 4*w*h)
		b.SetBytes(int64(len(src)))
		b.ReportAllocs()
		for b.Loop() {
			copy(dst, src)
		}
	})
	b.Run("yuyv", func(b *testing.B) {
		src := make([]byte, 2*w*h)
		b.SetBytes(int64(len(dst)))
		b.ReportAllocs()
		for b.Loop() {
			YUYVToRGBA(dst, 4*w, src, 2*w, w, h)
		}
	})
	b.Run("pattern", func(b *testing.B) {
		b.SetBytes(int64(len(dst)))
		b.ReportAllocs()
		n := uint64(0)
		for b.Loop() {
			n++
			Draw(dst, 4*w, w, h, n)
		}
	})
}
