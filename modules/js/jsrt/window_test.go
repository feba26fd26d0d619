package jsrt

import (
	"strings"
	"testing"
	"time"

	"github.com/orbital/orbital/modules/sdk"
)

func TestDrawingPresentsAtTheNextFrame(t *testing.T) {
	h := newFakeHost(t)
	h.mustRun(`const w = orbital.openWindow(40, 30, 'Draw')
w.fillStyle = '#ff0000'; w.fillRect(0, 0, 10, 10)
w.fillStyle = 'rgba(0, 0, 255, 0.5)'; w.fillRect(5, 5, 10, 10)
w.fillStyle = 'not a colour'; w.fillRect(20, 0, 5, 5) // ignored: stays blue at half alpha
w.clearRect(30, 0, 5, 5)
w.fillStyle = 'lime'; w.fillCircle(20, 20, 4)
w.strokeStyle = '#000'; w.lineWidth = 2; w.line(0, 29, 39, 29)
w.fillStyle = 'black'; w.fillText('Hi', 25, 15)
setTimeout(() => w.close(), 100)`)
	s := h.surfaces[0]
	if s.title != "Draw" || s.presents != 1 || !s.closed {
		t.Fatalf("surface %+v: want one present (drawing is gathered into frames), then closed", s)
	}
	for _, tc := range []struct {
		x, y int
		want [4]byte
	}{
		{2, 2, [4]byte{255, 0, 0, 255}},       // red
		{7, 7, [4]byte{127, 0, 128, 255}},     // blue at 0.5 over red
		{12, 12, [4]byte{127, 127, 255, 255}}, // blue at 0.5 over white
		{22, 2, [4]byte{127, 127, 255, 255}},  // the bad colour kept the last good one
		{32, 2, [4]byte{0, 0, 0, 0}},          // cleared
		{20, 20, [4]byte{0, 255, 0, 255}},     // circle centre
		{20, 29, [4]byte{0, 0, 0, 255}},       // line
		{39, 0, [4]byte{255, 255, 255, 255}},  // untouched: white
	} {
		if got := s.pixel(tc.x, tc.y); got != tc.want {
			t.Errorf("pixel (%d,%d) = %v, want %v", tc.x, tc.y, got, tc.want)
		}
	}
	dark := 0
	for y := 5; y < 15; y++ {
		for x := 25; x < 39; x++ {
			if s.pixel(x, y)[0] < 100 {
				dark++
			}
		}
	}
	if dark < 10 {
		t.Errorf("fillText drew %d dark pixels", dark)
	}
}

func TestPixelsAndImageData(t *testing.T) {
	h := newFakeHost(t)
	h.mustRun(`const w = orbital.openWindow(8, 8)
const px = w.pixels
px[0] = 1; px[1] = 2; px[2] = 3; px[3] = 255
const img = w.createImageData(2, 2)
img.data.fill(200)
w.putImageData(img, 7, 7) // clipped to one pixel
const back = w.getImageData(-1, 0, 3, 1)
console.log(back.width, back.height, Array.from(back.data).join(','))
console.log(w.width, w.height, w.title, w.measureText('abc').width)
w.present(); w.close()`)
	want := "3 1 0,0,0,0,1,2,3,255,255,255,255,255\n8 8 app.js 21\n"
	if h.out.String() != want {
		t.Fatalf("stdout %q, want %q", h.out.String(), want)
	}
	s := h.surfaces[0]
	if s.pixel(0, 0) != [4]byte{1, 2, 3, 255} || s.pixel(7, 7) != [4]byte{200, 200, 200, 200} {
		t.Fatalf("presented %v and %v", s.pixel(0, 0), s.pixel(7, 7))
	}
}

func TestAnimationFrames(t *testing.T) {
	h := newFakeHost(t)
	h.mustRun(`const w = orbital.openWindow(4, 4)
let frames = 0, first = 0, last = 0
function frame(ts) {
  if (frames === 0) first = ts
  last = ts
  w.fillStyle = frames % 2 ? 'red' : 'blue'; w.fillRect(0, 0, 4, 4)
  if (++frames < 30) requestAnimationFrame(frame)
  else { console.log(frames, Math.round(last - first)); w.close() }
}
requestAnimationFrame(frame)
const never = requestAnimationFrame(() => console.log('cancelled'))
cancelAnimationFrame(never)`)
	// 29 periods of 1/60 s after the first frame.
	if want := "30 483\n"; h.out.String() != want {
		t.Fatalf("stdout %q, want %q", h.out.String(), want)
	}
	if s := h.surfaces[0]; s.presents != 29 { // the 30th frame closed the window
		t.Fatalf("%d presents for 29 frames drawn before the window closed", s.presents)
	}
}

func TestInputEvents(t *testing.T) {
	h := newFakeHost(t)
	h.at(10*time.Millisecond, eventMsg(5, 1, 3, 4, 0, 0, 0))                      // mouse down
	h.at(20*time.Millisecond, eventMsg(1, 1, 0, 0, 'A', uint32(sdk.ModShift), 0)) // key down
	h.at(21*time.Millisecond, eventMsg(1, 1, 0, 0, int32(sdk.KeyArrowLeft), 0, 0))
	h.at(22*time.Millisecond, eventMsg(3, 1, 0, 0, 'é', 0, 0)) // char
	h.at(30*time.Millisecond, eventMsg(7, 1, 1, 1, 0, 0, -2))  // wheel
	h.at(40*time.Millisecond, eventMsg(8, 1, 12, 6, 0, 0, 0))  // resize
	h.at(50*time.Millisecond, eventMsg(11, 1, 0, 0, 0, 0, 0))  // close: prevented
	h.at(60*time.Millisecond, eventMsg(11, 1, 0, 0, 0, 0, 0))  // close
	h.at(70*time.Millisecond, eventMsg(5, 9, 0, 0, 0, 0, 0))   // another surface: ignored
	h.mustRun(`const w = orbital.openWindow(10, 5)
let closes = 0
for (const t of ['mousedown', 'keydown', 'char', 'wheel', 'resize'])
  w.on(t, e => console.log(e.type, JSON.stringify(e, ['x', 'y', 'button', 'key', 'shift', 'char', 'dy', 'width', 'height']), e.target === w))
w.on('close', e => { if (++closes === 1) { e.preventDefault(); console.log('kept open') } })
const gone = () => console.log('removed handler ran')
w.on('mousedown', gone); w.off('mousedown', gone)`)
	want := `mousedown {"x":3,"y":4,"button":0,"shift":false} true
keydown {"key":"A","shift":true} true
keydown {"key":"ArrowLeft","shift":false} true
char {"shift":false,"char":"é"} true
wheel {"x":1,"y":1,"shift":false,"dy":-2} true
resize {"width":12,"height":6} true
kept open
`
	if h.out.String() != want {
		t.Fatalf("stdout:\n%s\nwant:\n%s", h.out.String(), want)
	}
	if s := h.surfaces[0]; !s.closed || s.w != 12 || s.h != 6 || h.now != 60*time.Millisecond {
		t.Fatalf("surface %+v at %v: want resized to 12x6 and closed by the second close at 60ms", s, h.now)
	}
}

func TestWindowErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"orbital.openWindow(0, 10)", "Uncaught Error: orbital: ERR_INVALID"},
		{"const w = orbital.openWindow(5, 5); w.close(); w.fillRect(0, 0, 1, 1)", `Uncaught Error: window "app.js" is closed`},
		{"orbital.openWindow(5, 5).on('tap', () => {})", `Uncaught TypeError: window.on: unknown event type "tap"`},
		{"orbital.openWindow(5, 5).createImageData(0, 3)", "Uncaught TypeError: image size must be 1..8192"},
	} {
		_, err := newFakeHost(t).run(tc.src)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.src, err, tc.want)
		}
	}
}

func TestParseColor(t *testing.T) {
	for s, want := range map[string][4]uint8{
		"#abc": {0xaa, 0xbb, 0xcc, 255}, "#abcd": {0xaa, 0xbb, 0xcc, 0xdd}, "#102030": {16, 32, 48, 255},
		"#10203040": {16, 32, 48, 64}, "rgb(1, 2, 3)": {1, 2, 3, 255}, "RGBA(300,-1,3,0.5)": {255, 0, 3, 128},
		" Orange ": {255, 165, 0, 255}, "transparent": {},
	} {
		c, ok := parseColor(s)
		if !ok || [4]uint8{c.R, c.G, c.B, c.A} != want {
			t.Errorf("%q: %v %v, want %v", s, c, ok, want)
		}
	}
	for _, bad := range []string{"", "#12", "#ggg", "rgb(1,2)", "rgb(1,2,3", "hsl(1,2,3)", "rgb(a,b,c)"} {
		if _, ok := parseColor(bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
}

// TestClosingTheLastWindowEnds: the user closing a script's last window ends the script, even
// with an animation loop and a timer going; a script that keeps a window open is untouched.
func TestClosingTheLastWindowEnds(t *testing.T) {
	h := newFakeHost(t)
	h.at(100*time.Millisecond, eventMsg(11, 2, 0, 0, 0, 0, 0)) // close the second window
	h.at(200*time.Millisecond, eventMsg(11, 1, 0, 0, 0, 0, 0)) // then the first
	code := h.mustRun(`const a = orbital.openWindow(10, 10, 'a'), b = orbital.openWindow(10, 10, 'b')
function frame() { a.fillRect(0, 0, 1, 1); requestAnimationFrame(frame) }
requestAnimationFrame(frame)
setInterval(() => {}, 1000)
orbital.on('quit', () => console.log('quit handlers do not run: the user closed it'))`)
	if code != 0 || h.now != 200*time.Millisecond || !h.surfaces[0].closed || !h.surfaces[1].closed || h.out.Len() != 0 {
		t.Fatalf("exit %d at %v, stdout %q, surfaces %+v %+v", code, h.now, h.out.String(), h.surfaces[0], h.surfaces[1])
	}
}
