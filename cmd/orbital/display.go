package main

import (
	"github.com/orbital/orbital/compositor"
	"github.com/orbital/orbital/kernel"
)

// sceneDisplay adapts a compositor scene to what the kernel needs from a display: the kernel
// never imports the compositor, and this is the one place they meet.
type sceneDisplay struct {
	scene  *compositor.Scene
	hidden bool // create module surfaces hidden: the shell shows them once it placed them
}

func (d sceneDisplay) CreateSurface(owner kernel.SurfaceOwner, title string, w, h int) (kernel.Surface, error) {
	create := d.scene.CreateSurface
	if d.hidden {
		create = d.scene.CreateHiddenSurface
	}
	sf, err := create(uint32(owner.PID), owner.Name, title, w, h)
	if err != nil {
		return nil, err
	}
	return sf, nil
}

var (
	_ kernel.Display = sceneDisplay{}
	_ kernel.Surface = (*compositor.Surface)(nil)
)
