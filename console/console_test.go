package console

import (
	"bytes"
	"context"
	"flag"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orbital/orbital/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// picSurface keeps the last picture presented.
type picSurface struct {
	mu       sync.Mutex
	img      *image.RGBA
	presents int
	closed   bool
	w, h     int
}

func (s *picSurface) Present(pix []byte, stride int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.img = image.NewRGBA(image.Rect(0, 0, s.w, s.h))
	for y := range s.h {
		copy(s.img.Pix[y*s.img.Stride:(y+1)*s.img.Stride], pix[y*stride:])
	}
	s.presents++
	return nil
}

func (s *picSurface) Resize(w, h int) error {
	s.mu.Lock()
	s.w, s.h = w, h
	s.mu.Unlock()
	return nil
}

func (s *picSurface) Close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
}

func newConsole(t *testing.T, cfg Config) (*Console, *picSurface) {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	w, h := c.Size()
	s := &picSurface{w: w, h: h}
	c.Start(s)
	t.Cleanup(c.Close)
	return c, s
}

// screen reads the console's screen on its goroutine.
func screen(t *testing.T, c *Console) []string {
	t.Helper()
	var out []string
	if !c.Do(context.Background(), func(term *Terminal) { out = screenText(term) }) {
		t.Fatal("console closed")
	}
	return out
}

func typeKeys(c *Console, s string) {
	for _, r := range s {
		if r == '\n' {
			c.Event(Event{Type: 1, Code: keyEnter})
			continue
		}
		c.Event(Event{Type: 3, Code: r})
	}
}

// TestConsoleLineInput: typed text is echoed and reaches stdin a line at a time; Backspace
// edits; Ctrl+D sends a partial line, then ends the input.
func TestConsoleLineInput(t *testing.T) {
	c, _ := newConsole(t, Config{Cols: 20, Rows: 5})
	got := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(c.Stdin())
		got <- string(b)
	}()
	typeKeys(c, "helo")
	c.Event(Event{Type: 1, Code: keyBack})
	typeKeys(c, "lo\nsecond")
	c.Event(Event{Type: 1, Code: keyD, Modifiers: modCtrl}) // sends "second" without a newline
	c.Event(Event{Type: 1, Code: keyD, Modifiers: modCtrl}) // end of input
	select {
	case s := <-got:
		if s != "hello\nsecond" {
			t.Fatalf("stdin read %q, want %q", s, "hello\nsecond")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("stdin did not end after Ctrl+D")
	}
	if s := screen(t, c); s[0] != "hello" || s[1] != "second" {
		t.Errorf("echo: %q", s)
	}
}

// TestConsoleExit: output is shown as it comes, and the exit status stays on screen; typing
// after the end does nothing.
func TestConsoleExit(t *testing.T) {
	c, s := newConsole(t, Config{Cols: 30, Rows: 4})
	io.WriteString(c.Output(), "out \x1b[31mred\x1b[0m\nlast")
	c.Exit("exited with status 3")
	shown := func() bool {
		sc := screen(t, c)
		return sc[0] == "out red" && sc[1] == "last" && sc[2] == "[exited with status 3]"
	}
	testenv.Eventually(t, shown, 20*time.Second, "output and status on screen")
	// Typed after the end (not merely queued beside it): once the loop has taken every
	// event, the screen is what it was.
	typeKeys(c, "ignored")
	testenv.Eventually(t, func() bool { return len(c.events) == 0 }, 20*time.Second, "typed events taken")
	if !shown() {
		t.Errorf("typing after the end changed the screen: %q", screen(t, c))
	}
	testenv.Eventually(t, func() bool { s.mu.Lock(); defer s.mu.Unlock(); return s.presents > 0 }, 20*time.Second, "a picture presented")
	c.Close()
	if !s.closed {
		t.Error("Close did not close the window")
	}
}

// TestConsoleFlood: a program writing megabytes as fast as it can is slowed to what the
// console draws, the scrollback stays bounded, and input is still handled at once.
func TestConsoleFlood(t *testing.T) {
	c, _ := newConsole(t, Config{Cols: 80, Rows: 24, Scrollback: 1000})
	line := bytes.Repeat([]byte("flood \x1b[32mgreen\x1b[0m 0123456789 "), 2)
	line = append(line, '\n')
	stop := make(chan struct{})
	var n atomic.Int64
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		chunk := bytes.Repeat(line, 512) // ~50 KB a call
		for {
			select {
			case <-stop:
				return
			default:
			}
			k, _ := c.Output().Write(chunk)
			n.Add(int64(k))
		}
	}()
	start := time.Now()
	testenv.Eventually(t, func() bool { return n.Load() > 2<<20 }, 30*time.Second, "2 MB through the console")
	var slowest time.Duration
	for range 10 {
		t0 := time.Now()
		if !c.Do(context.Background(), func(*Terminal) {}) {
			t.Fatal("console closed")
		}
		slowest = max(slowest, time.Since(t0))
	}
	close(stop)
	<-finished
	if slowest > 500*time.Millisecond {
		t.Errorf("a call into the flooded console took %v", slowest)
	}
	c.Do(context.Background(), func(term *Terminal) {
		if lines, _ := term.Scrollback(); lines > 1000 {
			t.Errorf("scrollback holds %d lines, limit 1000", lines)
		}
	})
	t.Logf("%.1f MB through the console in %v; slowest call %v", float64(n.Load())/1e6, time.Since(start), slowest)
}

// TestConsoleSelectCopy: a drag selects cells; Ctrl+Shift+C copies them, one line per row.
func TestConsoleSelectCopy(t *testing.T) {
	var copied string
	done := make(chan struct{})
	c, _ := newConsole(t, Config{Cols: 20, Rows: 4, Copy: func(s string) { copied = s; close(done) }})
	io.WriteString(c.Output(), "first line\nsecond line")
	f := c.rend.face
	at := func(col, row int) (int32, int32) { return int32(Pad + col*f.W + 1), int32(Pad + row*f.H + 1) }
	x0, y0 := at(6, 0)
	x1, y1 := at(5, 1)
	c.Event(Event{Type: 5, X: x0, Y: y0})
	c.Event(Event{Type: 4, X: x1, Y: y1})
	c.Event(Event{Type: 6, X: x1, Y: y1})
	c.Event(Event{Type: 1, Code: keyC, Modifiers: modCtrl | modShift})
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("nothing copied")
	}
	if copied != "line\nsecond" {
		t.Errorf("copied %q, want %q", copied, "line\nsecond")
	}
}

// TestConsoleInterrupt: Ctrl+C without a selection asks the program to stop.
func TestConsoleInterrupt(t *testing.T) {
	hit := make(chan struct{}, 1)
	c, _ := newConsole(t, Config{Interrupt: func() { hit <- struct{}{} }})
	c.Event(Event{Type: 1, Code: keyC, Modifiers: modCtrl})
	select {
	case <-hit:
	case <-time.After(5 * time.Second):
		t.Fatal("Ctrl+C did not interrupt")
	}
}

// TestConsoleGolden renders colours, attributes, a selection-free screen and the cursor, and
// compares the picture with testdata/console.png (rewritten with -update).
func TestConsoleGolden(t *testing.T) {
	c, s := newConsole(t, Config{Cols: 40, Rows: 6})
	io.WriteString(c.Output(), "plain \x1b[1mbold\x1b[0m \x1b[4munder\x1b[0m \x1b[7minverse\x1b[0m\n"+
		"\x1b[31mred \x1b[32mgreen \x1b[33myellow \x1b[34mblue\x1b[0m \x1b[1;35mbright\x1b[0m\n"+
		"\x1b[38;5;208m256-colour\x1b[0m \x1b[48;2;40;90;40mtruecolor bg\x1b[0m \x1b[2mdim\x1b[0m\n"+
		"café ✓ ~ {[()]} <=> $ ")
	typeKeys(c, "typed")
	testenv.Eventually(t, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.img != nil && strings.HasSuffix(screen(t, c)[3], "typed")
	}, 5*time.Second, "the text drawn")
	c.Do(context.Background(), func(*Terminal) { c.draw() }) // the picture after the last change, now
	s.mu.Lock()
	img := s.img
	s.mu.Unlock()
	path := filepath.Join("testdata", "console.png")
	if *update {
		os.MkdirAll("testdata", 0o755)
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		png.Encode(f, img)
		f.Close()
		return
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	bad := 0
	for y := range img.Rect.Dy() {
		for x := range img.Rect.Dx() {
			r, g, b, _ := want.At(x, y).RGBA()
			c := img.RGBAAt(x, y)
			if d := absDiff(uint8(r>>8), c.R) + absDiff(uint8(g>>8), c.G) + absDiff(uint8(b>>8), c.B); d > 6 {
				bad++
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%d pixels differ from %s (go test -run TestConsoleGolden -update if intended)", bad, path)
	}
}

func absDiff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}
