package main

import (
	"github.com/orbital/orbital/compositor"
	"github.com/orbital/orbital/kernel"
)

// sceneDisplay adapts a compositor scene to what the kernel needs from a display: the kernel
// never imports the compositor, and this is the one place they meet.
type sceneDisplay struct{ scene *compositor.Scene }

func (d sceneDisplay) CreateSurface(owner kernel.SurfaceOwner, title string, w, h int) (kernel.Surface, error) {
	sf, err := d.scene.CreateSurface(uint32(owner.PID), owner.Name, title, w, h)
	if err != nil {
		return nil, err
	}
	return sf, nil
}

var (
	_ kernel.Display = sceneDisplay{}
	_ kernel.Surface = (*compositor.Surface)(nil)
)
