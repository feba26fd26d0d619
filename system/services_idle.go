package system

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/kernel"
)

// The two slow paths of the dispatcher (services.go): starting a process when a call finds
// none running, and stopping a pool's processes after idle_timeout without calls.

// startOne makes one process of p run, or waits for one to be able to: a slot that is idle (or
// runs a process this dispatcher has not seen, such as one a boot trigger started) is
// started, one that waits in backoff is waited for, one stopped for being idle is waited for
// to end. The manifest is read again first: the service may have been removed or upgraded.
func (s *services) startOne(ctx context.Context, p *pool) error {
	spec, err := s.resolve(p.name)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.resize(p, spec)
	target, draining, failed := s.startTargetLocked(p)
	s.mu.Unlock()
	switch {
	case target != nil:
		pr, err := s.sup.ensureIn(ctx, target.u, nil, "call of "+p.name)
		if err != nil {
			return s.startError(ctx, p, target, err)
		}
		if isDone(pr.Done()) { // it ended before the supervisor saw it: wait until it has
			return s.sup.waitEnded(ctx, target.u, pr)
		}
		s.mu.Lock()
		target.proc = pr
		s.mu.Unlock()
		return nil
	case draining != nil:
		s.mu.Lock()
		pr := draining.proc
		s.mu.Unlock()
		if pr != nil {
			select {
			case <-pr.Done():
			case <-ctx.Done():
				return s.startError(ctx, p, draining, ctx.Err())
			}
		}
		s.mu.Lock()
		if draining.proc == pr {
			draining.proc, draining.draining = nil, false
		}
		s.mu.Unlock()
		return nil
	}
	return fmt.Errorf("%s: %w: every instance stopped restarting after a crash loop (last: %s); start it again from the panel", p.name, kernel.ErrServiceCrashed, failed)
}

// startTargetLocked chooses the slot startOne acts on (s.mu held): one to start or wait for,
// else one that is stopping for being idle; failed is the reason when every slot stopped in
// a crash loop.
func (s *services) startTargetLocked(p *pool) (target, draining *slot, failed string) {
	for _, sl := range p.slots[:min(len(p.slots), p.spec.instances)] {
		if sl.draining {
			if draining == nil {
				draining = sl
			}
			continue
		}
		s.sup.mu.Lock()
		state, last := sl.u.state, sl.u.lastExit
		s.sup.mu.Unlock()
		if state == unitFailed {
			failed = last
			continue
		}
		return sl, nil, ""
	}
	return nil, draining, failed
}

// startError is the call's error when no process of p could be had.
func (s *services) startError(ctx context.Context, p *pool, sl *slot, err error) error {
	switch {
	case ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded):
		return fmt.Errorf("%s: %w: no instance ready in time", p.name, bus.ErrTimeout)
	case ctx.Err() != nil:
		return fmt.Errorf("%s: %w", p.name, ctx.Err())
	case errors.Is(err, errNoRun):
		s.sup.mu.Lock()
		last := sl.u.lastExit
		s.sup.mu.Unlock()
		return fmt.Errorf("%s: %w: %s", p.name, kernel.ErrServiceCrashed, last)
	}
	return fmt.Errorf("%s: %w: did not start: %v", p.name, kernel.ErrServiceCrashed, err)
}

// idleCheck runs when p's idle timer fires: with no call in flight and none for idle_timeout,
// each running process of p gets a quit request (and no restart); otherwise the timer is
// armed again for what is left.
func (s *services) idleCheck(p *pool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p.timer = nil
	if s.closed {
		return
	}
	left := p.spec.idle - time.Since(p.lastUse)
	for _, sl := range p.slots {
		if sl.queued > 0 {
			left = p.spec.idle
		}
	}
	if left > 0 {
		p.timer = time.AfterFunc(left, func() { s.idleCheck(p) })
		return
	}
	for _, sl := range p.slots {
		if sl.proc == nil || sl.draining || isDone(sl.proc.Done()) {
			continue
		}
		sl.draining = true
		s.sup.wg.Add(1) // under s.mu, checked against closed: close waits for it
		go s.drain(sl, sl.proc)
	}
}

// drain stops sl's process pr for being idle and marks the slot free once it has ended.
func (s *services) drain(sl *slot, pr proc) {
	defer s.sup.wg.Done()
	if cur := s.sup.stop(sl.u); cur != nil {
		s.sup.kill(cur)
	}
	select {
	case <-pr.Done():
	case <-s.sup.ctx.Done():
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if sl.proc == pr {
		sl.proc, sl.draining = nil, false
	}
}
