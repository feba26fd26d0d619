package kernel

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/orbital/orbital/bus"
)

// Kill stops pid. Without force it posts a quit request (kind 17) and interrupts the guest
// only if it has not exited after the grace period (Config.QuitGrace); with force it
// interrupts at once: a guest running WASM stops within one epoch tick, one blocked in recv
// returns at once. Killing an ended process is not an error.
func (k *Kernel) Kill(pid bus.PID, force bool) error {
	p := k.Process(pid)
	if p == nil {
		return fmt.Errorf("%w: %d", ErrNoProcess, pid)
	}
	if force {
		p.forceKill("killed")
		return nil
	}
	p.requestQuit(k.cfg.QuitGrace)
	return nil
}

// Stop kills pid gracefully (as Kill without force) and waits until it has ended.
func (k *Kernel) Stop(ctx context.Context, pid bus.PID) (Info, error) {
	if err := k.Kill(pid, false); err != nil {
		return Info{}, err
	}
	return k.Wait(ctx, pid)
}

func (p *Process) requestQuit(grace time.Duration) {
	select {
	case <-p.done:
		return
	default:
	}
	if !p.stopping.CompareAndSwap(false, true) {
		return
	}
	if err := p.k.bus.Post(bus.Message{Kind: bus.KindQuit, To: p.pid}); err != nil {
		p.forceKill("killed: quit request could not be delivered: " + err.Error())
		return
	}
	go func() {
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-p.done:
		case <-t.C:
			p.forceKill(fmt.Sprintf("killed: still running %v after the quit request", grace))
		}
	}()
}

// forceKill interrupts the guest: its epoch tick traps, its host calls trap, its blocking calls
// return. Safe from any goroutine, any number of times.
func (p *Process) forceKill(reason string) {
	p.setCause(reason)
	p.stopping.Store(true)
	p.killed.Store(true)
	p.cancel()
	p.stdin.closeWriter() // wasi.go: a read of stdin returns, so the kill lands
}

// Event is an input event for a process (docs/abi.md, "Input events").
type Event struct {
	Type      uint32 // 1 key down ... 11 close request
	Surface   uint32
	X, Y      int32
	Code      int32
	Modifiers uint32
	DX, DY    float32
}

// Input event types.
const (
	EventKeyDown = 1 + iota
	EventKeyUp
	EventChar
	EventMouseMove
	EventMouseDown
	EventMouseUp
	EventScroll
	EventResize
	EventFocus
	EventBlur
	EventClose
)

// Encode returns the 32-byte payload of a kind-16 message.
func (e Event) Encode() []byte {
	b := make([]byte, eventSize)
	le := binary.LittleEndian
	le.PutUint32(b[0:], e.Type)
	le.PutUint32(b[4:], e.Surface)
	le.PutUint32(b[8:], uint32(e.X))
	le.PutUint32(b[12:], uint32(e.Y))
	le.PutUint32(b[16:], uint32(e.Code))
	le.PutUint32(b[20:], e.Modifiers)
	le.PutUint32(b[24:], math.Float32bits(e.DX))
	le.PutUint32(b[28:], math.Float32bits(e.DY))
	return b
}

// PostEvent queues an input event in pid's inbox without waiting: when the inbox is full the
// oldest posted message is dropped (and counted), so the shell never stalls on a slow process.
func (k *Kernel) PostEvent(pid bus.PID, ev Event) error {
	return k.bus.Post(bus.Message{Kind: bus.KindEvent, To: pid, Payload: ev.Encode()})
}
