package shell

import (
	"errors"
	"fmt"
	"image"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-gl/glfw/v3.3/glfw"
	"github.com/orbital/orbital/compositor"
)

// chromeSurfaces are the shell's own surfaces: the wallpaper (Background layer), and the bar,
// error line and task strip (Chrome layer, above every module window).
type chromeSurfaces struct {
	bg, sugg, bar, errLine, strip *compositor.Surface
	prompt                        *compositor.Surface // the permission prompt card
	complete                      *compositor.Surface // the completion list under the bar
	promptUI                      promptUI

	bgKey, suggKey, barKey, stripKey string
	chips                            []chip // suggestions shown on the empty desktop
}

// openRetry opens the window, once more if GLFW panicked the first time: go-gl/glfw panics on
// a GLFW error it did not expect, and an X server that is still settling (a fresh Xvfb) has
// been seen to leave one behind at start-up. A second failure is the user's error message.
func (s *Shell) openRetry() error {
	err := s.openGuarded()
	var p *glfwPanic
	if errors.As(err, &p) {
		err = s.openGuarded()
	}
	return err
}

// glfwPanic is a panic of go-gl/glfw turned into an error.
type glfwPanic struct{ v any }

func (p *glfwPanic) Error() string {
	return fmt.Sprintf("shell: GLFW failed while opening the window: %v", p.v)
}

func (s *Shell) openGuarded() (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.close()
			err = &glfwPanic{r}
		}
	}()
	return s.open()
}

// open creates the GLFW window with a GL 3.3 core context (what the compositor's GL device
// needs), the GL device, the fonts and the chrome surfaces.
func (s *Shell) open() error {
	if err := glfw.Init(); err != nil {
		return fmt.Errorf("shell: cannot open a window (is $DISPLAY set? under ssh use -X, headless use `xvfb-run orbital`): %w", err)
	}
	glfw.WindowHint(glfw.ContextVersionMajor, 3)
	glfw.WindowHint(glfw.ContextVersionMinor, 3)
	glfw.WindowHint(glfw.OpenGLProfile, glfw.OpenGLCoreProfile)
	glfw.WindowHint(glfw.OpenGLForwardCompatible, glfw.True)
	glfw.WindowHint(glfw.ScaleToMonitor, glfw.True)
	win, err := glfw.CreateWindow(s.cfg.Width, s.cfg.Height, "Orbital", nil, nil)
	if err != nil {
		glfw.Terminate()
		return fmt.Errorf("shell: create a %dx%d window with OpenGL 3.3: %w", s.cfg.Width, s.cfg.Height, err)
	}
	s.win = win
	win.SetSizeLimits(560, 360, glfw.DontCare, glfw.DontCare) // room for the bar, a window, the strip
	win.MakeContextCurrent()
	glfw.SwapInterval(1)
	fbW, fbH := win.GetFramebufferSize()
	s.measure(fbW, fbH)
	if s.dev, err = compositor.NewGL(fbW, fbH, s.scale); err != nil {
		s.close()
		return fmt.Errorf("shell: %w", err)
	}
	s.pres = newPresenter()
	if s.fonts, err = LoadFonts(1); err != nil {
		s.close()
		return err
	}
	histPath := ""
	if s.cfg.Home != "" {
		histPath = filepath.Join(s.cfg.Home, "shell", "history")
	}
	hist, err := LoadHistory(histPath)
	if err != nil {
		fmt.Fprintf(s.log, "orbital shell: %v (starting with an empty history)\n", err)
	}
	s.bar = &URLBar{History: hist, Focused: true}
	s.desk = NewDesktop(s.scene, s.deskArea())
	if err := s.makeChrome(); err != nil {
		s.close()
		return err
	}
	s.input.hoverButton = -1
	s.installCallbacks()
	s.setAlive(true)
	s.dirty.Store(true)
	return nil
}

// close releases GL objects, the chrome and the window. Safe on a half-opened shell.
func (s *Shell) close() {
	s.setAlive(false)
	if s.desk != nil {
		s.desk.Close()
	}
	for _, sf := range []*compositor.Surface{s.chrome.bg, s.chrome.sugg, s.chrome.bar, s.chrome.errLine, s.chrome.strip, s.chrome.prompt, s.chrome.complete} {
		if sf != nil {
			sf.Close()
		}
	}
	if s.dev != nil {
		s.dev.Release()
		s.dev = nil
	}
	if s.win != nil {
		s.win.Destroy()
		s.win = nil
	}
	glfw.Terminate()
}

// deskArea is where module windows live: below the bar, above the task strip.
func (s *Shell) deskArea() image.Rectangle {
	return image.Rect(0, topBarH, s.w, max(s.h-taskStripH, topBarH+1))
}

func (s *Shell) makeChrome() error {
	mk := func(name string, l compositor.Layer, r image.Rectangle) (*compositor.Surface, error) {
		sf, err := s.scene.CreateSurface(0, "shell", name, r.Dx(), r.Dy())
		if err != nil {
			return nil, fmt.Errorf("shell: %s surface: %w", name, err)
		}
		if err := sf.SetLayer(l); err != nil {
			return nil, err
		}
		sf.Move(r.Min.X, r.Min.Y)
		return sf, nil
	}
	var err error
	c := &s.chrome
	if c.bg, err = mk("desktop", compositor.LayerBackground, image.Rect(0, 0, s.w, s.h)); err != nil {
		return err
	}
	c.bg.SetOpaque(true)
	if c.sugg, err = mk("suggestions", compositor.LayerBackground, image.Rect(0, 0, 1, 1)); err != nil {
		return err
	}
	c.sugg.SetVisible(false)
	if c.bar, err = mk("url bar", compositor.LayerChrome, image.Rect(0, 0, s.w, topBarH)); err != nil {
		return err
	}
	if c.errLine, err = mk("error line", compositor.LayerChrome, image.Rect(0, topBarH, s.w, topBarH+errorLineH)); err != nil {
		return err
	}
	c.errLine.SetVisible(false)
	if c.strip, err = mk("task strip", compositor.LayerChrome, image.Rect(0, s.h-taskStripH, s.w, s.h)); err != nil {
		return err
	}
	if c.prompt, err = mk("permission prompt", compositor.LayerChrome, image.Rect(0, topBarH, 1, topBarH+1)); err != nil {
		return err
	}
	c.prompt.SetVisible(false)
	c.promptUI.pressed = -1
	if c.complete, err = mk("completions", compositor.LayerChrome, image.Rect(0, topBarH, 1, topBarH+1)); err != nil {
		return err
	}
	c.complete.SetVisible(false)
	return nil
}

// measure derives the desktop's size from the framebuffer's. The desktop is laid out in
// desktop pixels; the GL device draws it at scale framebuffer pixels each, so on a HiDPI
// screen (framebuffer larger than the window, or a content scale above 1 as X11 reports it)
// the chrome and the modules keep their size instead of shrinking.
func (s *Shell) measure(fbW, fbH int) {
	winW, _ := s.win.GetSize()
	s.fbW, s.fbH = fbW, fbH
	s.pixRatio = float64(fbW) / float64(max(winW, 1))
	cx, _ := s.win.GetContentScale()
	s.scale = max(s.pixRatio, float64(cx), 1)
	s.w = max(int(float64(fbW)/s.scale+0.5), 1)
	s.h = max(int(float64(fbH)/s.scale+0.5), 1)
}

// resized follows a new framebuffer size: device, desktop area and chrome.
func (s *Shell) resized(fbW, fbH int) {
	if fbW <= 0 || fbH <= 0 || (fbW == s.fbW && fbH == s.fbH) {
		return
	}
	s.measure(fbW, fbH)
	if err := s.dev.SetSize(fbW, fbH, s.scale); err != nil {
		fmt.Fprintf(s.log, "orbital shell: %v\n", err)
	}
	s.pres.forget()
	s.desk.SetArea(s.deskArea())
	c := &s.chrome
	c.bg.Resize(s.w, s.h)
	c.bar.Resize(s.w, topBarH)
	c.errLine.Resize(s.w, errorLineH)
	c.strip.Resize(s.w, taskStripH)
	c.strip.Move(0, s.h-taskStripH)
	c.bgKey, c.suggKey, c.barKey, c.stripKey, c.promptUI.key, s.comp.key = "", "", "", "", "", ""
	s.dirty.Store(true)
}

// paintChrome redraws whichever chrome surface's picture changed.
func (s *Shell) paintChrome() error {
	c := &s.chrome
	present := func(sf *compositor.Surface, img *image.RGBA) error {
		if err := sf.Present(img.Pix, img.Stride); err != nil {
			return fmt.Errorf("shell: paint %s: %w", sf.Title(), err)
		}
		return nil
	}
	empty := len(s.desk.wins) == 0
	hasSugg := len(s.cfg.Suggestions) > 0
	if key := fmt.Sprint(s.w, s.h, empty); key != c.bgKey {
		if err := present(c.bg, drawBackground(s.fonts, s.w, s.h, empty, hasSugg)); err != nil {
			return err
		}
		c.bgKey = key
	}
	if err := s.paintSuggestions(empty && hasSugg); err != nil {
		return err
	}
	b := s.bar
	st, en := b.Field.Selection()
	key := fmt.Sprint(s.w, b.Field.Text(), b.Field.Cursor(), st, en, b.Focused, b.busy, b.busyMsg, b.done, b.total, b.errText, b.notice)
	if b.busy && b.total <= 0 {
		key += time.Now().String() // the sliding progress segment moves every frame
	}
	if key != c.barKey {
		if err := present(c.bar, b.Draw(s.fonts, s.w)); err != nil {
			return err
		}
		if b.errText != "" {
			if err := present(c.errLine, b.DrawError(s.fonts, s.w)); err != nil {
				return err
			}
		}
		if c.errLine.Visible() != (b.errText != "") {
			c.errLine.SetVisible(b.errText != "")
		}
		c.barKey = key
	}
	if err := s.paintPrompt(); err != nil {
		return err
	}
	if err := s.paintCompletions(); err != nil {
		return err
	}
	hoverWin, hoverPart := s.input.hoverWin, s.input.hoverPart
	if s.input.drag.kind != dragNone {
		hoverWin, hoverPart = s.input.drag.win, s.input.drag.part
	}
	if err := s.desk.Paint(s.fonts, hoverWin, hoverPart, s.bar.Focused); err != nil {
		return err
	}
	s.strip = layoutStrip(s.fonts, s.desk.ByOrder(), s.w)
	now := time.Now()
	var sk strings.Builder
	fmt.Fprint(&sk, s.w, now.Format("15:04"), s.desk.Focused() != nil && !s.bar.Focused, s.input.hoverStrip)
	for _, it := range s.strip {
		fmt.Fprint(&sk, "|", it.win.PID, stripLabel(it.win), it.win == s.desk.Focused(), it.rect)
	}
	if sk.String() != c.stripKey {
		focused := s.desk.Focused()
		if err := present(c.strip, drawStrip(s.fonts, s.strip, focused, s.input.hoverStrip, s.w, now)); err != nil {
			return err
		}
		c.stripKey = sk.String()
	}
	return nil
}

// paintSuggestions shows the module suggestions on the empty desktop (hidden otherwise).
func (s *Shell) paintSuggestions(show bool) error {
	c := &s.chrome
	if !show {
		c.chips = nil
		if c.sugg.Visible() {
			c.sugg.SetVisible(false)
		}
		c.suggKey = ""
		return nil
	}
	key := fmt.Sprint(s.w, s.h, s.input.hoverChip)
	if key == c.suggKey {
		return nil
	}
	c.chips = layoutChips(s.fonts, s.cfg.Suggestions, s.w, s.h)
	b := chipsBounds(c.chips)
	if b.Empty() {
		return nil
	}
	if w, h := c.sugg.Size(); w != b.Dx() || h != b.Dy() {
		if err := c.sugg.Resize(b.Dx(), b.Dy()); err != nil {
			return err
		}
	}
	img := drawChips(s.fonts, c.chips, s.input.hoverChip)
	if err := c.sugg.Present(img.Pix, img.Stride); err != nil {
		return err
	}
	c.sugg.Move(b.Min.X, b.Min.Y)
	c.sugg.SetVisible(true)
	c.suggKey = key
	return nil
}
