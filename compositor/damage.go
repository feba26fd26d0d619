package compositor

import (
	"image"
	"image/color"
)

// maxDamageRects bounds the rectangles a frame's damage is kept as; past it they are merged
// into their bounding box. A few rectangles keep a moved window's old and new places apart;
// many would cost more in per-rectangle draws than the pixels they save.
const maxDamageRects = 8

// Region is a set of pairwise disjoint rectangles: the part of a frame that must be redrawn.
// Disjoint matters: a device redraws each rectangle from the background up, and a translucent
// surface blended twice over the same pixel would come out darker.
type Region []image.Rectangle

// Add adds r to the region: rectangles it overlaps are merged with it into their bounding box
// (again, until nothing overlaps), and past maxDamageRects the whole region becomes one box.
// Like append, it may reuse g's storage: use the result, not g.
func (g Region) Add(r image.Rectangle) Region {
	if r.Empty() {
		return g
	}
	for merged := true; merged; {
		merged = false
		for i := 0; i < len(g); i++ {
			if g[i].Overlaps(r) {
				r = r.Union(g[i])
				g = append(g[:i], g[i+1:]...)
				merged = true
				break
			}
		}
	}
	g = append(g, r)
	if len(g) > maxDamageRects {
		g = Region{g.Bounds()}
	}
	return g
}

// Union adds every rectangle of o.
func (g Region) Union(o Region) Region {
	for _, r := range o {
		g = g.Add(r)
	}
	return g
}

// Bounds is the smallest rectangle holding the region.
func (g Region) Bounds() image.Rectangle {
	var b image.Rectangle
	for _, r := range g {
		b = b.Union(r)
	}
	return b
}

// Area is the number of pixels the region covers.
func (g Region) Area() int {
	n := 0
	for _, r := range g {
		n += r.Dx() * r.Dy()
	}
	return n
}

// drawn is what a device last drew of one surface: enough to tell what changed.
type drawn struct {
	sf     *Surface
	rect   image.Rectangle
	gen    uint64
	opaque bool
	scale  int
}

// damageTracker remembers the scene as a device last drew it and turns the next snapshot into
// the region that changed. Each device has its own, so several devices can watch one scene.
type damageTracker struct {
	valid bool
	frame image.Rectangle // the desktop area drawn, desktop coordinates
	bg    color.RGBA
	items []drawn // back to front
}

// invalidate makes the next diff report the whole frame.
func (t *damageTracker) invalidate() { t.valid = false }

// diff returns what differs between the last drawn scene and snap, clipped to frame, and
// records snap as drawn. A first frame, a new frame size or background, is damaged whole.
//
// A surface is damaged where it was and where it is when it appeared, went away (closed or
// hidden), moved, was resized, presented new pixels, changed opacity or pixel scale (which
// changes its filtering even where the shell keeps its displayed size). A change of stacking
// order damages the surfaces that moved in the order: for any two surfaces whose order
// flipped, at least one is outside the longest common subsequence of the old and new orders,
// and what their flip changes lies inside both their rectangles.
func (t *damageTracker) diff(snap Snapshot, frame image.Rectangle, bg color.RGBA) Region {
	items := make([]drawn, len(snap.Items))
	for i, it := range snap.Items {
		items[i] = drawn{sf: it.Surface, rect: it.Rect, gen: it.Gen, opaque: it.Opaque, scale: it.Scale}
	}
	old := t.items
	full := !t.valid || t.frame != frame || t.bg != bg
	t.valid, t.frame, t.bg, t.items = true, frame, bg, items
	if full {
		return Region{frame}
	}
	var g Region
	add := func(r image.Rectangle) { g = g.Add(r.Intersect(frame)) }
	was := make(map[*Surface]int, len(old))
	for i, d := range old {
		was[d.sf] = i
	}
	is := make(map[*Surface]int, len(items))
	var oldSeq, newSeq []*Surface // the surfaces in both, in old and in new order
	for j, d := range items {
		is[d.sf] = j
		i, ok := was[d.sf]
		if !ok {
			add(d.rect)
			continue
		}
		newSeq = append(newSeq, d.sf)
		o := old[i]
		switch {
		case o.rect != d.rect:
			add(o.rect)
			add(d.rect)
		case o.gen != d.gen || o.opaque != d.opaque || o.scale != d.scale:
			add(d.rect)
		}
	}
	for _, d := range old {
		if _, ok := is[d.sf]; !ok {
			add(d.rect)
			continue
		}
		oldSeq = append(oldSeq, d.sf)
	}
	for _, sf := range reordered(oldSeq, newSeq) {
		add(old[was[sf]].rect)
		add(items[is[sf]].rect)
	}
	return g
}

// reordered returns the surfaces of b (a permutation of a) outside a longest common
// subsequence of a and b: the ones that changed place in the stacking order. Scenes are small
// (tens of surfaces); past maxLCS it returns every surface whose index changed instead, which
// is more but still enough.
func reordered(a, b []*Surface) []*Surface {
	same := true
	for i := range a {
		if a[i] != b[i] {
			same = false
			break
		}
	}
	if same {
		return nil
	}
	const maxLCS = 256
	n := len(a)
	if n > maxLCS {
		var out []*Surface
		for i := range a {
			if a[i] != b[i] {
				out = append(out, b[i])
			}
		}
		return out
	}
	// l[i][j] is the LCS length of a[i:] and b[j:].
	l := make([][]int, n+1)
	for i := range l {
		l[i] = make([]int, n+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := n - 1; j >= 0; j-- {
			if a[i] == b[j] {
				l[i][j] = l[i+1][j+1] + 1
			} else {
				l[i][j] = max(l[i+1][j], l[i][j+1])
			}
		}
	}
	keep := make(map[*Surface]bool, n)
	for i, j := 0, 0; i < n && j < n; {
		switch {
		case a[i] == b[j]:
			keep[a[i]] = true
			i++
			j++
		case l[i+1][j] >= l[i][j+1]:
			i++
		default:
			j++
		}
	}
	var out []*Surface
	for _, sf := range b {
		if !keep[sf] {
			out = append(out, sf)
		}
	}
	return out
}
