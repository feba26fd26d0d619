package compositor

import (
	"fmt"
	"image"
	"slices"
	"sync"
	"sync/atomic"
)

// Scene is the set of surfaces on the desktop, ordered back to front. It is safe for concurrent
// use: module threads create surfaces and present into them while the main (GL) thread takes
// snapshots and composes.
type Scene struct {
	mu       sync.Mutex
	surfaces []*Surface // back to front: by layer, then by z within the layer
	nextID   int
	placed   int // how many window surfaces were placed by default (cascade)

	version atomic.Uint64 // bumped by every change that can alter the picture
	changed chan struct{} // capacity 1: a pending "something changed" signal
}

// NewScene returns an empty scene.
func NewScene() *Scene {
	return &Scene{changed: make(chan struct{}, 1)}
}

// CreateSurface adds a surface of w x h pixels (each 1..MaxSize) on top of its layer. A surface
// owned by a process (owner != 0) goes to LayerWindows, is opaque and is cascaded below the
// shell's top bar; a shell surface (owner 0) goes to LayerChrome at (0, 0) and is alpha-blended.
// The shell moves and re-layers surfaces as it likes. New surfaces are visible and black until
// their first Present.
func (s *Scene) CreateSurface(owner uint32, name, title string, w, h int) (*Surface, error) {
	return s.create(owner, name, title, w, h, true)
}

// CreateHiddenSurface is CreateSurface for a surface that stays hidden until SetVisible(true):
// a shell that frames and places module windows shows them itself. Hiding after creation
// would race with that placement (the shell could show it first, and the hide would win).
func (s *Scene) CreateHiddenSurface(owner uint32, name, title string, w, h int) (*Surface, error) {
	return s.create(owner, name, title, w, h, false)
}

func (s *Scene) create(owner uint32, name, title string, w, h int, visible bool) (*Surface, error) {
	if err := checkSize(w, h); err != nil {
		return nil, fmt.Errorf("create surface %q for pid %d: %w", title, owner, err)
	}
	sf := &Surface{
		Owner:   owner,
		Name:    name,
		scene:   s,
		title:   title,
		visible: visible,
		layer:   LayerChrome,
		w:       w,
		h:       h,
		front:   make([]byte, w*h*4),
		back:    make([]byte, w*h*4),
	}
	sf.gen.Store(1)
	s.mu.Lock()
	s.nextID++
	sf.ID = s.nextID
	sf.rect = image.Rect(0, 0, w, h)
	if owner != 0 {
		sf.layer = LayerWindows
		sf.opaque = true
		off := 32 * (s.placed % 10)
		s.placed++
		sf.rect = sf.rect.Add(image.Pt(48+off, 64+off))
	}
	s.insertLocked(sf)
	s.mu.Unlock()
	s.touch()
	return sf, nil
}

// insertLocked puts sf on top of its layer. s.mu is held.
func (s *Scene) insertLocked(sf *Surface) {
	i := len(s.surfaces)
	for i > 0 && s.surfaces[i-1].layer > sf.layer {
		i--
	}
	s.surfaces = slices.Insert(s.surfaces, i, sf)
}

func (s *Scene) indexLocked(id int) int {
	for i, sf := range s.surfaces {
		if sf.ID == id {
			return i
		}
	}
	return -1
}

// Surfaces returns every surface of the scene, visible or not, back to front.
func (s *Scene) Surfaces() []*Surface {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.surfaces)
}

// Lookup returns the surface with the given id, or nil.
func (s *Scene) Lookup(id int) *Surface {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i := s.indexLocked(id); i >= 0 {
		return s.surfaces[i]
	}
	return nil
}

// SurfaceAt returns the topmost visible surface whose displayed rectangle holds the desktop
// point (x, y), or nil. The shell uses it to route pointer input.
func (s *Scene) SurfaceAt(x, y int) *Surface {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := image.Pt(x, y)
	for i := len(s.surfaces) - 1; i >= 0; i-- {
		sf := s.surfaces[i]
		if sf.visible && p.In(sf.rect) {
			return sf
		}
	}
	return nil
}

// Raise puts surface id on top of its layer. An unknown id is ignored.
func (s *Scene) Raise(id int) {
	s.mu.Lock()
	i := s.indexLocked(id)
	if i < 0 || i == len(s.surfaces)-1 {
		s.mu.Unlock()
		return
	}
	sf := s.surfaces[i]
	s.surfaces = slices.Delete(s.surfaces, i, i+1)
	s.insertLocked(sf)
	s.mu.Unlock()
	s.touch()
}

// Remove takes surface id out of the scene; later calls on it return ErrClosed. An unknown id
// is ignored, so removing twice is harmless.
func (s *Scene) Remove(id int) {
	s.mu.Lock()
	i := s.indexLocked(id)
	if i < 0 {
		s.mu.Unlock()
		return
	}
	sf := s.surfaces[i]
	s.surfaces = slices.Delete(s.surfaces, i, i+1)
	sf.closed.Store(true)
	s.mu.Unlock()
	s.touch()
}

// Changed returns a channel that receives a value after any surface is damaged, moved, raised,
// shown, hidden, retitled, added or removed. Signals coalesce: one pending value stands for any
// number of changes, so the receiver composes once per wake-up and never falls behind.
func (s *Scene) Changed() <-chan struct{} { return s.changed }

// Version is a counter bumped by every change that can alter the picture. Two snapshots with the
// same version show the same picture.
func (s *Scene) Version() uint64 { return s.version.Load() }

func (s *Scene) touch() {
	s.version.Add(1)
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

// Item is one visible surface as it stood when a snapshot was taken.
type Item struct {
	Surface *Surface
	Rect    image.Rectangle // displayed position and size, desktop coordinates
	Layer   Layer
	Opaque  bool   // draw ignoring the surface's alpha channel
	Gen     uint64 // the surface's generation when the snapshot was taken
	Scale   int    // the surface's pixel scale (Surface.SetScale), at least 1
}

// blocks returns n when the item shows its w x h content pixels as n x n blocks: at 1:1 (n =
// 1) or at exactly its pixel scale. Devices sample those with nearest filtering; any other
// displayed size (set by the shell) is filtered bilinearly.
func (it Item) blocks(w, h int) (n int, ok bool) {
	for _, n := range []int{1, it.Scale} {
		if it.Rect.Dx() == w*n && it.Rect.Dy() == h*n {
			return n, true
		}
	}
	return 0, false
}

// Snapshot is a consistent view of the scene's geometry: the visible surfaces back to front.
// Pixels are read per surface afterwards with Surface.ReadPixels, which never shows a torn frame.
type Snapshot struct {
	Version uint64 // Scene.Version when the snapshot was taken
	Items   []Item
}

// Snapshot takes the scene's geometry under its lock. It holds the lock only to copy a few
// fields per surface; presenters are never blocked by it.
func (s *Scene) Snapshot() Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap := Snapshot{Version: s.version.Load(), Items: make([]Item, 0, len(s.surfaces))}
	for _, sf := range s.surfaces {
		if !sf.visible {
			continue
		}
		snap.Items = append(snap.Items, Item{Surface: sf, Rect: sf.rect, Layer: sf.layer, Opaque: sf.opaque, Gen: sf.Generation(),
			Scale: max(sf.scale, 1)})
	}
	return snap
}

// firstShown returns the index of the topmost opaque item covering all of r (desktop
// coordinates: the frame, or a damaged rectangle of it) and true: nothing below it can show
// there, so devices start there and skip the background. With no such item it returns 0,
// false: draw the background, then every item.
func (snap Snapshot) firstShown(r image.Rectangle) (int, bool) {
	for i := len(snap.Items) - 1; i >= 0; i-- {
		if it := snap.Items[i]; it.Opaque && r.In(it.Rect) {
			return i, true
		}
	}
	return 0, false
}
