package kernel

import (
	"context"
	"fmt"

	"github.com/orbital/orbital/bus"
)

// Respawn stops pid (gracefully, waiting at most until ctx ends) and starts its module again
// with the same options: what the admin panel's Restart does. The new process has a new pid.
func (k *Kernel) Respawn(ctx context.Context, pid bus.PID) (*Process, error) {
	p := k.Process(pid)
	if p == nil {
		return nil, fmt.Errorf("%w: %d", ErrNoProcess, pid)
	}
	if !p.Info().State.Done() {
		if _, err := k.Stop(ctx, pid); err != nil {
			return nil, fmt.Errorf("restart %s (pid %d): %w", p.name, pid, err)
		}
	}
	spec := p.spawnSpec() // the code it runs now: a reload may have replaced what it started with
	np, err := k.Spawn(spec.module, spec.asked)
	if err != nil {
		return nil, fmt.Errorf("restart %s (pid %d): %w", p.name, pid, err)
	}
	k.Forget(pid)
	return np, nil
}
