package shell

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"

	"github.com/go-gl/glfw/v3.3/glfw"

	"github.com/orbital/orbital/policies"
)

// PermissionPrompt is what the shell asks the user when a module's manifest requests more
// than policy grants: the module's name and one plain-words line per missing permission.
type PermissionPrompt struct {
	Module string
	Lines  []string // "Open windows up to 1920x1080", "Publish on camera.*.frame", ...
}

// Choice is the user's answer to a PermissionPrompt.
type Choice int

const (
	ChoiceDeny      Choice = iota // run with what policy grants
	ChoiceAllowOnce               // grant the missing permissions for this run only
	ChoiceAlways                  // grant them now and write a policy file for later runs
)

func (c Choice) String() string {
	switch c {
	case ChoiceAllowOnce:
		return "allow once"
	case ChoiceAlways:
		return "always allow"
	}
	return "deny"
}

// ErrShellClosed is Prompt's error when the shell closed before the user answered.
var ErrShellClosed = errors.New("shell: closed before the permission prompt was answered")

// pendingPrompt is one prompt waiting for its answer (main thread only, except answer).
type pendingPrompt struct {
	p      PermissionPrompt
	answer chan Choice // buffered 1; written once by the main thread
}

// Prompt shows p as a modal card under the URL bar and waits for the answer. It must be
// called off the main thread (Host.Open's goroutine). Prompts asked at the same time are
// shown one after the other. If ctx ends first, the card is taken down and ctx's error is
// returned.
func (s *Shell) Prompt(ctx context.Context, p PermissionPrompt) (Choice, error) {
	pp := &pendingPrompt{p: p, answer: make(chan Choice, 1)}
	s.Do(func() {
		s.prompts = append(s.prompts, pp)
		s.dirty.Store(true)
	})
	select {
	case c := <-pp.answer:
		return c, nil
	case <-ctx.Done():
		s.Do(func() { s.dropPrompt(pp) })
		return ChoiceDeny, ctx.Err()
	case <-s.closed():
		return ChoiceDeny, ErrShellClosed
	}
}

// Ask is Prompt with the question in plain words and the answer in policy's terms (what
// system.Config.Prompt takes).
func (s *Shell) Ask(ctx context.Context, module string, lines []string) (policies.Answer, error) {
	c, err := s.Prompt(ctx, PermissionPrompt{Module: module, Lines: lines})
	switch c {
	case ChoiceAllowOnce:
		return policies.AllowOnce, err
	case ChoiceAlways:
		return policies.AllowAlways, err
	}
	return policies.Deny, err
}

// closed is done when Run has ended.
func (s *Shell) closed() <-chan struct{} { return s.done }

// dropPrompt removes pp from the queue (main thread).
func (s *Shell) dropPrompt(pp *pendingPrompt) {
	for i, q := range s.prompts {
		if q == pp {
			s.prompts = append(s.prompts[:i:i], s.prompts[i+1:]...)
			s.dirty.Store(true)
			return
		}
	}
}

// answerPrompt answers the prompt on show with c (main thread).
func (s *Shell) answerPrompt(c Choice) {
	if len(s.prompts) == 0 {
		return
	}
	pp := s.prompts[0]
	s.prompts = s.prompts[1:]
	pp.answer <- c
	s.input.hoverButton = -1
	s.dirty.Store(true)
}

// Prompt card metrics, desktop pixels.
const (
	promptW       = 440
	promptPad     = 20
	promptTitleH  = 28
	promptLineH   = 24
	promptButtonH = 34
	promptGap     = 10
	promptMaxRows = 12 // more lines are summed up as "and N more"
)

// promptLayout is the card's geometry: its place on the desktop and its buttons, in card
// coordinates (the card's picture starts at 0,0).
type promptLayout struct {
	at      image.Point // card's top-left on the desktop
	size    image.Point
	lines   []string
	buttons [3]promptButton // left to right: Deny, Allow once, Always allow
}

type promptButton struct {
	choice Choice
	label  string
	rect   image.Rectangle
}

// layoutPrompt places the card for p on a desktop width pixels wide, under the bar at the
// left like a browser's permission bubble (centred when the desktop is narrow). Button widths
// come from measure (text width in pixels) so the layout stays pure and testable.
func layoutPrompt(p PermissionPrompt, width int, measure func(string) int) promptLayout {
	lines := p.Lines
	if len(lines) > promptMaxRows {
		more := len(lines) - (promptMaxRows - 1)
		lines = append(lines[:promptMaxRows-1:promptMaxRows-1], "and "+itoa(more)+" more")
	}
	w := min(promptW, max(width-24, 200))
	h := promptPad + promptTitleH + len(lines)*promptLineH + promptGap + promptButtonH + promptPad
	x := min(80, max((width-w)/2, 0))
	l := promptLayout{at: image.Pt(x, topBarH+6), size: image.Pt(w, h), lines: lines}
	labels := []struct {
		c Choice
		s string
	}{{ChoiceDeny, "Deny"}, {ChoiceAllowOnce, "Allow once"}, {ChoiceAlways, "Always allow"}}
	right := w - promptPad
	y := h - promptPad - promptButtonH
	for i := len(labels) - 1; i >= 0; i-- {
		bw := max(measure(labels[i].s)+28, 72)
		l.buttons[i] = promptButton{choice: labels[i].c, label: labels[i].s,
			rect: image.Rect(right-bw, y, right, y+promptButtonH)}
		right -= bw + 8
	}
	return l
}

// rect is the card's rectangle on the desktop.
func (l promptLayout) rect() image.Rectangle {
	return image.Rectangle{Min: l.at, Max: l.at.Add(l.size)}
}

// hit returns the index of the button under desktop point p, or -1.
func (l promptLayout) hit(p image.Point) int {
	q := p.Sub(l.at)
	for i, b := range l.buttons {
		if q.In(b.rect) {
			return i
		}
	}
	return -1
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// drawPrompt paints the card: "NAME wants to:", the lines with a bullet each, the buttons
// (Always allow in the accent colour, the hovered one lit) and a key hint.
func drawPrompt(fonts *Fonts, l promptLayout, module string, hover int) *image.RGBA {
	img := image.NewRGBA(image.Rectangle{Max: l.size})
	card := img.Rect
	fillRoundRect(img, card, 10, colFieldBorder)
	fillRoundRect(img, card.Inset(1), 9, colBarTop)
	fillRoundRect(img, image.Rect(1, 1, 5, card.Max.Y-1), 2, colAccent)
	x := promptPad
	y := promptPad
	title := ellipsize(fonts.Strong, module, l.size.X-2*promptPad-80) + " wants to:"
	drawText(img, fonts.Strong, x, baselineFor(fonts.Strong, y, promptTitleH), title, colText)
	y += promptTitleH
	for _, line := range l.lines {
		fillCircle(img, float32(x+4), float32(y+promptLineH/2), 2.5, colAccent)
		drawText(img, fonts.UI, x+16, baselineFor(fonts.UI, y, promptLineH),
			ellipsize(fonts.UI, line, l.size.X-2*promptPad-16), colText)
		y += promptLineH
	}
	// The keys, at the right of the title row when there is room.
	hint := "Enter: allow once · Esc: deny"
	if hw := textWidth(fonts.Small, hint); promptPad+textWidth(fonts.Strong, title)+16+hw <= l.size.X-promptPad {
		drawText(img, fonts.Small, l.size.X-promptPad-hw, baselineFor(fonts.Small, promptPad, promptTitleH), hint, colTextDim)
	}
	for i, b := range l.buttons {
		bg, fg := colField, colText
		if b.choice == ChoiceAlways {
			bg = colAccentSoft
		}
		if i == hover {
			bg = colSelection
		}
		fillRoundRect(img, b.rect, 7, colFieldBorder)
		fillRoundRect(img, b.rect.Inset(1), 6, bg)
		tw := textWidth(fonts.UI, b.label)
		drawText(img, fonts.UI, b.rect.Min.X+(b.rect.Dx()-tw)/2, baselineFor(fonts.UI, b.rect.Min.Y, b.rect.Dy()), b.label, fg)
	}
	return img
}

// colNotice is the left edge of a notice on the error line (a success, not a failure).
var colNotice = color.RGBA{0x1d, 0x2a, 0x40, 0xf4}

// promptUI is the prompt card's surface and what it last showed (main thread).
type promptUI struct {
	layout  promptLayout
	shown   *pendingPrompt // prompt the layout is for; nil when no card is up
	key     string
	pressed int // button under the press, -1 when none (answers on release over it)
}

// paintPrompt shows the first waiting prompt as a card, or hides the card.
func (s *Shell) paintPrompt() error {
	sf, ui := s.chrome.prompt, &s.chrome.promptUI
	if len(s.prompts) == 0 {
		if sf.Visible() {
			sf.SetVisible(false)
		}
		ui.shown, ui.key = nil, ""
		return nil
	}
	pp := s.prompts[0]
	if ui.shown != pp {
		ui.pressed = -1
	}
	key := fmt.Sprintf("%p %d %d", pp, s.w, s.input.hoverButton)
	if key == ui.key {
		return nil
	}
	ui.layout = layoutPrompt(pp.p, s.w, func(t string) int { return textWidth(s.fonts.UI, t) })
	ui.shown = pp
	if w, h := sf.Size(); w != ui.layout.size.X || h != ui.layout.size.Y {
		if err := sf.Resize(ui.layout.size.X, ui.layout.size.Y); err != nil {
			return fmt.Errorf("shell: permission prompt: %w", err)
		}
	}
	img := drawPrompt(s.fonts, ui.layout, pp.p.Module, s.input.hoverButton)
	if err := sf.Present(img.Pix, img.Stride); err != nil {
		return fmt.Errorf("shell: paint permission prompt: %w", err)
	}
	sf.Move(ui.layout.at.X, ui.layout.at.Y)
	sf.SetVisible(true)
	ui.key = key
	return nil
}

// promptAt reports whether desktop point p is on the card on show.
func (s *Shell) promptAt(p image.Point) bool {
	return s.chrome.promptUI.shown != nil && len(s.prompts) > 0 && p.In(s.chrome.promptUI.layout.rect())
}

// promptPointerDown takes a press on the card (the card is modal for the pointer only over
// itself: the rest of the desktop stays usable, like a browser's permission bubble).
func (s *Shell) promptPointerDown(p image.Point, button int32) bool {
	if !s.promptAt(p) {
		return false
	}
	s.chrome.promptUI.pressed = -1
	if button == 0 {
		s.chrome.promptUI.pressed = s.chrome.promptUI.layout.hit(p)
	}
	return true
}

// promptPointerUp answers the prompt when the release is over the button pressed.
func (s *Shell) promptPointerUp(p image.Point) bool {
	ui := &s.chrome.promptUI
	pressed := ui.pressed
	ui.pressed = -1
	if pressed < 0 || ui.shown == nil || len(s.prompts) == 0 {
		return false
	}
	if ui.layout.hit(p) == pressed {
		s.answerPrompt(ui.layout.buttons[pressed].choice)
	}
	return true
}

// promptHover lights the button under p; it reports whether p is on the card.
func (s *Shell) promptHover(p image.Point) bool {
	on := s.promptAt(p)
	h := -1
	if on {
		h = s.chrome.promptUI.layout.hit(p)
	}
	if h != s.input.hoverButton {
		s.input.hoverButton = h
		s.dirty.Store(true)
	}
	return on
}

// promptKey answers the prompt on show from the keyboard: Enter allows once, Escape denies.
// Other keys go on as usual.
func (s *Shell) promptKey(k glfw.Key, a glfw.Action) bool {
	if len(s.prompts) == 0 || a != glfw.Press {
		return false
	}
	switch k {
	case glfw.KeyEnter, glfw.KeyKPEnter:
		s.answerPrompt(ChoiceAllowOnce)
	case glfw.KeyEscape:
		s.answerPrompt(ChoiceDeny)
	default:
		return false
	}
	return true
}
