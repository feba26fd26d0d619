package system

import (
	"sync"

	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/compositor"
	"github.com/orbital/orbital/kernel"
)

// display adapts the compositor's scene to the kernel's Display (the kernel never imports the
// compositor; this is where they meet) and remembers, for every surface, the id its module
// knows it by: the kernel numbers a process's surfaces 1, 2, ... in creation order, so
// counting successful creations per process gives the same numbers. Input for a surface is
// posted with that id (PostEvent).
type display struct {
	scene  *compositor.Scene
	hidden bool // create module surfaces hidden: the shell shows them once it placed them

	mu    sync.Mutex
	count map[bus.PID]int32
	ids   map[*compositor.Surface]int32
}

func newDisplay(scene *compositor.Scene, hidden bool) *display {
	return &display{scene: scene, hidden: hidden, count: map[bus.PID]int32{}, ids: map[*compositor.Surface]int32{}}
}

// CreateSurface implements kernel.Display. A hidden surface is created hidden in one step:
// hiding it afterwards raced with the shell adopting and showing it, and could leave a
// framed window with its content hidden for good.
func (d *display) CreateSurface(owner kernel.SurfaceOwner, title string, w, h int) (kernel.Surface, error) {
	create := d.scene.CreateSurface
	if d.hidden {
		create = d.scene.CreateHiddenSurface
	}
	s, err := create(uint32(owner.PID), owner.Name, title, w, h)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.count[owner.PID]++
	d.ids[s] = d.count[owner.PID]
	return surface{Surface: s, d: d}, nil
}

func (d *display) sid(s *compositor.Surface) (int32, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	id, ok := d.ids[s]
	return id, ok
}

// created is how many surfaces pid has opened.
func (d *display) created(pid bus.PID) int32 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.count[pid]
}

// surface forgets its id when the module closes it.
type surface struct {
	*compositor.Surface
	d *display
}

func (s surface) Close() {
	s.d.mu.Lock()
	delete(s.d.ids, s.Surface)
	s.d.mu.Unlock()
	s.Surface.Close()
}

// PostEvent delivers ev to pid as input of surface s, naming it by the id the module knows it
// by (or to the console, for a console window). An event for a surface the module already
// closed has no reader and is dropped.
func (in *Instance) PostEvent(pid bus.PID, s *compositor.Surface, ev kernel.Event) error {
	if win := in.consoleFor(s); win != nil {
		win.con.Event(consoleEvent(ev)) // a console window: the console edits the input
		return nil
	}
	sid, ok := in.display.sid(s)
	if !ok {
		return nil
	}
	ev.Surface = uint32(sid)
	return in.k.PostEvent(pid, ev)
}

var (
	_ kernel.Display = (*display)(nil)
	_ kernel.Surface = surface{}
)
