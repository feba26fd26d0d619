package shell

import (
	"image"
	"slices"

	"github.com/orbital/orbital/compositor"
)

// Window is one module surface on the desktop, inside a frame the shell draws.
type Window struct {
	Surface *compositor.Surface // the module's surface (LayerWindows)
	PID     uint32
	Name    string

	deco     *compositor.Surface // the frame, just below Surface in the Windows layer
	decoSeen decoState           // what deco currently shows
	content  image.Rectangle     // displayed content rectangle, desktop coordinates
	pinned   bool                // the user resized the window: its size no longer follows the surface
	restore  *image.Rectangle    // content before Maximize, nil when not maximized
	order    int                 // creation order, for the task strip
}

// Content is the window's content rectangle in desktop coordinates.
func (w *Window) Content() image.Rectangle { return w.content }

// Desktop is the window manager: the module windows back to front, focus, and placement.
// It lives on the main thread; the scene it edits is itself thread-safe.
type Desktop struct {
	scene   *compositor.Scene
	area    image.Rectangle // where windows may be placed (between bar and task strip)
	wins    []*Window       // back to front
	focus   *Window
	created int
}

// NewDesktop manages the module surfaces of scene inside area.
func NewDesktop(scene *compositor.Scene, area image.Rectangle) *Desktop {
	return &Desktop{scene: scene, area: area}
}

// Windows returns the windows back to front.
func (d *Desktop) Windows() []*Window { return slices.Clone(d.wins) }

// ByOrder returns the windows in the order they were opened (the task strip's order).
func (d *Desktop) ByOrder() []*Window {
	out := slices.Clone(d.wins)
	slices.SortFunc(out, func(a, b *Window) int { return a.order - b.order })
	return out
}

// Focused is the window receiving keyboard input, or nil.
func (d *Desktop) Focused() *Window { return d.focus }

// SetArea changes the region windows live in (the GLFW window was resized).
func (d *Desktop) SetArea(r image.Rectangle) { d.area = r }

// Sync brings the window list in line with the scene: module surfaces that appeared get a
// frame, a place and the focus; windows whose surface went away lose their frame. It reports
// the windows added and removed.
func (d *Desktop) Sync() (added, removed []*Window) {
	live := map[int]*compositor.Surface{}
	for _, sf := range d.scene.Surfaces() {
		if sf.Owner != 0 && sf.Layer() == compositor.LayerWindows && !sf.Closed() {
			live[sf.ID] = sf
		}
	}
	kept := d.wins[:0]
	for _, w := range d.wins {
		if _, ok := live[w.Surface.ID]; ok {
			delete(live, w.Surface.ID)
			kept = append(kept, w)
			continue
		}
		if w.deco != nil {
			w.deco.Close()
		}
		removed = append(removed, w)
		if d.focus == w {
			d.focus = nil
		}
	}
	d.wins = kept
	ids := make([]int, 0, len(live))
	for id := range live {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		w := d.adopt(live[id])
		added = append(added, w)
	}
	for _, w := range d.wins {
		d.follow(w)
	}
	if d.focus == nil && len(d.wins) > 0 && len(removed) > 0 {
		d.focus = d.wins[len(d.wins)-1]
	}
	return added, removed
}

// adopt gives a new module surface a frame and a place, on top.
func (d *Desktop) adopt(sf *compositor.Surface) *Window {
	r := sf.Rect()
	w := &Window{Surface: sf, PID: sf.Owner, Name: sf.Name, order: d.created}
	d.created++
	w.content = d.place(r.Dx(), r.Dy())
	sf.Move(w.content.Min.X, w.content.Min.Y)
	sf.SetVisible(true) // the host may create module surfaces hidden until they are placed
	d.wins = append(d.wins, w)
	d.restack(w)
	d.focus = w
	return w
}

// place picks the content rectangle of a new w x h window: the first spot (scanning rows
// from the top-left of the desktop area) where its frame overlaps no other window, or when
// the desktop is full, the spot where it covers the least of the others (their title bars
// weigh most).
func (d *Desktop) place(w, h int) image.Rectangle {
	const margin, step = 20, 16
	at := func(x, y int) image.Rectangle {
		x, y = x+frameSide, y+titleBarH
		return image.Rect(x, y, x+w, y+h)
	}
	covered := func(r image.Rectangle) int {
		o := frameGeom{r}.outer()
		sum := 0
		for _, other := range d.wins {
			g := frameGeom{other.content}
			in := o.Intersect(g.outer().Inset(-margin))
			sum += in.Dx() * in.Dy()
			// Hiding another window's title bar costs most: it is how that window is grabbed.
			tb := o.Intersect(g.title())
			sum += 8 * tb.Dx() * tb.Dy()
		}
		return sum
	}
	area := d.area.Inset(margin)
	area.Min.Y += errorLineH // keep new title bars clear of the error line
	best, bestCov := image.Rectangle{}, -1
	for y := area.Min.Y; y+titleBarH+h+frameBottom <= area.Max.Y; y += step {
		for x := area.Min.X + 12; x+w+2*frameSide <= area.Max.X; x += step {
			r := at(x, y)
			c := covered(r)
			if c == 0 {
				return r
			}
			if bestCov < 0 || c < bestCov {
				best, bestCov = r, c
			}
		}
	}
	if bestCov < 0 { // larger than the desktop: top-left corner
		return at(d.area.Min.X+8, d.area.Min.Y+8)
	}
	return best
}

// follow keeps the window and its surface in step. Until the user resizes the window, the
// frame follows the surface's scaled size (content size times its pixel scale: a module that
// calls surface_resize grows its window, a cart's 160x160 at 3x is 480x480). After, the frame
// keeps the user's size and the surface is shown inside it: at its scaled size when that
// fits exactly, or when it is shown as pixel blocks and fits (centred: the blocks stay sharp
// while the module picks a new scale), else scaled to fit with its aspect kept and centred
// (letterbox), never stretched. It touches the scene only when something differs.
func (d *Desktop) follow(w *Window) {
	cw, ch := w.Surface.ScaledSize()
	if !w.pinned {
		w.content = image.Rectangle{Min: w.content.Min, Max: w.content.Min.Add(image.Pt(cw, ch))}
	}
	target := fitRect(w.content, cw, ch, w.Surface.Scale() > 1)
	r := w.Surface.Rect()
	if r.Size() != target.Size() {
		if target.Dx() == cw && target.Dy() == ch {
			w.Surface.SetDisplaySize(0, 0)
		} else {
			w.Surface.SetDisplaySize(target.Dx(), target.Dy())
		}
	}
	if r.Min != target.Min {
		w.Surface.Move(target.Min.X, target.Min.Y)
	}
}

// fitRect is where a cw x ch picture shows inside content: 1:1 when it fits exactly, or
// centred at its size when it is drawn as pixel blocks (blocks) and fits, else the largest
// size with the same aspect, centred.
func fitRect(content image.Rectangle, cw, ch int, blocks bool) image.Rectangle {
	dw, dh := content.Dx(), content.Dy()
	if (cw == dw && ch == dh) || cw <= 0 || ch <= 0 {
		return content
	}
	if blocks && cw <= dw && ch <= dh {
		off := image.Pt((dw-cw)/2, (dh-ch)/2)
		return image.Rectangle{Min: content.Min.Add(off), Max: content.Min.Add(off).Add(image.Pt(cw, ch))}
	}
	fw, fh := dw, ch*dw/cw
	if fh > dh {
		fw, fh = cw*dh/ch, dh
	}
	fw, fh = max(fw, 1), max(fh, 1)
	off := image.Pt((dw-fw)/2, (dh-fh)/2)
	return image.Rectangle{Min: content.Min.Add(off), Max: content.Min.Add(off).Add(image.Pt(fw, fh))}
}

// Raise puts w on top and gives it the focus.
func (d *Desktop) Raise(w *Window) {
	i := slices.Index(d.wins, w)
	if i < 0 {
		return
	}
	d.focus = w
	if i == len(d.wins)-1 {
		return
	}
	d.wins = append(d.wins[:i], d.wins[i+1:]...)
	d.wins = append(d.wins, w)
	d.restack(w)
}

// restack puts w's frame then w's surface on top of the Windows layer.
func (d *Desktop) restack(w *Window) {
	if w.deco != nil {
		d.scene.Raise(w.deco.ID)
	}
	d.scene.Raise(w.Surface.ID)
}

// At returns the topmost window whose frame holds p and the part under p.
func (d *Desktop) At(p image.Point) (*Window, Part) {
	for i := len(d.wins) - 1; i >= 0; i-- {
		w := d.wins[i]
		if part := (frameGeom{w.content}).hit(p); part != PartNone {
			return w, part
		}
	}
	return nil, PartNone
}

// Move puts w's content top-left at (x, y), kept so the title bar stays reachable inside the
// desktop area.
func (d *Desktop) Move(w *Window, x, y int) {
	size := w.content.Size()
	minX := d.area.Min.X - size.X + 80
	maxX := d.area.Max.X - 80
	minY := d.area.Min.Y + titleBarH
	maxY := d.area.Max.Y - 8
	x, y = clamp(x, minX, maxX), clamp(y, minY, max(maxY, minY))
	w.content = image.Rectangle{Min: image.Pt(x, y), Max: image.Pt(x, y).Add(size)}
	d.follow(w)
}

// Resize gives w's content area the size the user dragged it to and returns it (clamped).
// The module is told separately; until it presents at the new size its picture is scaled to
// fit (see follow).
func (d *Desktop) Resize(w *Window, width, height int) (int, int) {
	width = clamp(width, minContentW, compositor.MaxSize)
	height = clamp(height, minContentH, compositor.MaxSize)
	w.pinned = true
	w.content = image.Rectangle{Min: w.content.Min, Max: w.content.Min.Add(image.Pt(width, height))}
	d.follow(w)
	return width, height
}

// ToggleMaximize makes w fill the desktop area (its frame just inside it), or puts it back
// where and how large it was. It returns the new content size.
func (d *Desktop) ToggleMaximize(w *Window) (int, int) {
	if w.restore != nil {
		r := *w.restore
		w.restore = nil
		w.content = image.Rectangle{Min: r.Min, Max: r.Min.Add(w.content.Size())}
		return d.Resize(w, r.Dx(), r.Dy())
	}
	old := w.content
	w.restore = &old
	a := d.area.Inset(8)
	c := image.Rect(a.Min.X+frameSide, a.Min.Y+titleBarH, a.Max.X-frameSide, a.Max.Y-frameBottom)
	w.content = image.Rectangle{Min: c.Min, Max: c.Min.Add(w.content.Size())}
	return d.Resize(w, c.Dx(), c.Dy())
}

// ToSurface maps a desktop point to w's surface pixels, undoing the scaling of a window shown
// at another size than its surface. ok is false outside the surface's picture (the margins
// of a letterboxed window).
func (w *Window) ToSurface(p image.Point) (q image.Point, ok bool) {
	r := w.Surface.Rect()
	q = p.Sub(r.Min)
	cw, ch := w.Surface.Size()
	if dw, dh := r.Dx(), r.Dy(); dw > 0 && dh > 0 && (dw != cw || dh != ch) {
		q.X = q.X * cw / dw
		q.Y = q.Y * ch / dh
	}
	return q, q.In(image.Rect(0, 0, cw, ch))
}

// Paint redraws the frames whose state changed. hover is the window and part under the
// pointer; it lights the close button and grip. barFocused says the URL bar has the
// keyboard, so no window shows the keyboard line.
func (d *Desktop) Paint(fonts *Fonts, hoverWin *Window, hover Part, barFocused bool) error {
	for _, w := range d.wins {
		st := decoState{
			w: w.content.Dx(), h: w.content.Dy(),
			title:      frameTitle(w.Surface.Title(), w.Name, w.PID),
			focused:    w == d.focus,
			keyboard:   w == d.focus && !barFocused,
			hoverClose: w == hoverWin && hover == PartClose,
			hoverGrip:  w == hoverWin && hover == PartResize,
		}
		dr := frameGeom{w.content}.deco()
		if w.deco == nil {
			sf, err := d.scene.CreateSurface(0, "shell", "frame", dr.Dx(), dr.Dy())
			if err != nil {
				return err
			}
			if err := sf.SetLayer(compositor.LayerWindows); err != nil {
				return err
			}
			w.deco = sf
			d.restackAll()
		}
		if st != w.decoSeen {
			img := drawFrame(fonts, st)
			if cw, ch := w.deco.Size(); cw != dr.Dx() || ch != dr.Dy() {
				if err := w.deco.Resize(dr.Dx(), dr.Dy()); err != nil {
					return err
				}
			}
			if err := w.deco.Present(img.Pix, img.Stride); err != nil {
				return err
			}
			w.decoSeen = st
		}
		if w.deco.Rect().Min != dr.Min {
			w.deco.Move(dr.Min.X, dr.Min.Y)
		}
	}
	return nil
}

// restackAll re-applies the stacking order (a frame was just created on top of the layer).
func (d *Desktop) restackAll() {
	for _, w := range d.wins {
		d.restack(w)
	}
}

// Close removes every frame (the shell is shutting down).
func (d *Desktop) Close() {
	for _, w := range d.wins {
		if w.deco != nil {
			w.deco.Close()
		}
	}
	d.wins, d.focus = nil, nil
}
