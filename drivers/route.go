package drivers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/drivers/wire"
	"golang.org/x/sys/unix"
)

// readLoop handles every frame the driver sends after the handshake.
func (in *instance) readLoop() {
	defer in.wg.Done()
	for {
		f, err := in.conn.Read()
		if err != nil {
			if in.ctx.Err() != nil {
				return
			}
			// A process killed in the middle of a write looks like a truncated frame: when it
			// exits soon, its exit (reported by the waiter) is the reason, not the frame.
			grace := 200 * time.Millisecond
			if wire.IsClosed(err) {
				grace = in.m.cfg.StopGrace
			}
			t := time.NewTimer(grace)
			select {
			case <-in.exited:
				t.Stop()
				return
			case <-t.C:
			}
			switch {
			case wire.IsClosed(err):
				in.stop("closed its connection to the kernel without exiting", Crashed)
			case errors.Is(err, wire.ErrProtocol):
				in.stop(err.Error(), Crashed)
			default:
				in.stop("connection error: "+err.Error(), Crashed)
			}
			return
		}
		in.lastSeen.Store(bus.Now())
		err = in.handle(&f)
		f.CloseFDs()
		if err != nil {
			// A write that fails because the driver just died (broken pipe) is not the reason:
			// its exit, reported by the waiter, is. A protocol violation is the reason at once.
			if !errors.Is(err, wire.ErrProtocol) && in.exitsWithin(200*time.Millisecond) {
				return
			}
			in.stop(err.Error(), Crashed)
			return
		}
	}
}

// exitsWithin reports whether the driver process exits within d.
func (in *instance) exitsWithin(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-in.exited:
		return true
	case <-t.C:
		return false
	}
}

func violation(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{wire.ErrProtocol}, args...)...)
}

func (in *instance) result(seq uint64, v uint32, err error) error {
	r := wire.Result{Seq: seq, Value: v}
	if err != nil {
		r.Code, r.Err = abiCode(err), err.Error()
	}
	return in.conn.Write(wire.TResult, r.Encode())
}

// handle performs one frame's operation. A returned error is a protocol violation or a dead
// socket: the driver is stopped. Bus errors go back to the driver as Results instead.
func (in *instance) handle(f *wire.Frame) error {
	if len(f.FDs) > 0 && f.Type != wire.TRegionAdd {
		return violation("%v frame carries %d descriptors", f.Type, len(f.FDs))
	}
	b := in.m.cfg.Bus
	switch f.Type {
	case wire.TPong:
		var s wire.Seq
		return s.Decode(f.Body)
	case wire.TLog:
		var t wire.Text
		if err := t.Decode(f.Body); err != nil {
			return err
		}
		in.m.logf(in.spec.Name, int(min(t.Level, 3)), "%s", t.Text)
		return nil
	case wire.TSubscribe:
		var s wire.Subscribe
		if err := s.Decode(f.Body); err != nil {
			return err
		}
		id, err := b.Subscribe(in.pid, s.Pattern, bus.Mode(s.Mode))
		return in.result(s.Seq, id, err)
	case wire.TSubscribers:
		var s wire.Subscribe
		if err := s.Decode(f.Body); err != nil {
			return err
		}
		if err := bus.ValidTopic(s.Pattern); err != nil {
			return in.result(s.Seq, 0, err)
		}
		return in.result(s.Seq, uint32(b.Subscribers(s.Pattern)), nil)
	case wire.TUnsubscribe:
		var s wire.Seq
		if err := s.Decode(f.Body); err != nil {
			return err
		}
		return in.result(s.Seq, 0, b.Unsubscribe(in.pid, s.ID))
	case wire.TRegionAdd:
		return in.regionAdd(f)
	case wire.TRegionDrop:
		var s wire.Seq
		if err := s.Decode(f.Body); err != nil {
			return err
		}
		in.rmu.Lock()
		h, ok := in.regions[s.ID]
		delete(in.regions, s.ID)
		in.rmu.Unlock()
		if ok {
			b.RegionRelease(in.pid, h)
		}
		return nil
	case wire.TAudit, wire.TUsage:
		if in.proto < 2 {
			return violation("%v frame from a version-%d driver", f.Type, in.proto)
		}
		if f.Type == wire.TAudit {
			return in.audit(f.Body)
		}
		return in.usage(f.Body)
	case wire.TPublish, wire.TReply, wire.TRequest, wire.TSend:
		var m wire.Msg
		if err := m.Decode(f.Body); err != nil {
			return err
		}
		return in.message(f.Type, &m)
	}
	return violation("unexpected %v frame from a driver", f.Type)
}

func (in *instance) regionAdd(f *wire.Frame) error {
	var r wire.RegionAdd
	if err := r.Decode(f.Body); err != nil {
		return err
	}
	if len(f.FDs) != 1 {
		return violation("region-add carries %d descriptors, want 1", len(f.FDs))
	}
	in.rmu.Lock()
	_, dup := in.regions[r.ID]
	in.rmu.Unlock()
	if dup || r.ID == 0 {
		return violation("region id %d is zero or already in use", r.ID)
	}
	fd := f.FDs[0]
	f.FDs = nil // the bus owns it now, whatever happens
	h, err := in.m.cfg.Bus.RegionAdopt(in.pid, fd, int64(r.Size))
	if err != nil {
		in.m.logf(in.spec.Name, 2, "region %d of %d bytes refused: %v", r.ID, r.Size, err)
		return in.result(0, r.ID, fmt.Errorf("region %d: %w", r.ID, err))
	}
	in.rmu.Lock()
	in.regions[r.ID] = h
	in.rmu.Unlock()
	return nil
}

// attachments maps the driver's region ids onto its bus handles.
func (in *instance) attachments(refs []wire.RegionRef) ([]bus.Attachment, error) {
	if len(refs) == 0 {
		return nil, nil
	}
	in.rmu.Lock()
	defer in.rmu.Unlock()
	out := make([]bus.Attachment, len(refs))
	for i, r := range refs {
		h, ok := in.regions[r.ID]
		if !ok {
			return nil, fmt.Errorf("%w: region %d was never shared or was dropped", bus.ErrNotFound, r.ID)
		}
		out[i] = bus.Attachment{Handle: h, Rights: bus.Rights(r.Rights)}
	}
	return out, nil
}

func (in *instance) message(t wire.Type, m *wire.Msg) error {
	b := in.m.cfg.Bus
	atts, err := in.attachments(m.Regions)
	if err != nil {
		return in.result(m.Seq, 0, err)
	}
	msg := bus.Message{From: in.pid, Topic: m.Topic, Payload: m.Payload, Regions: atts}
	switch t {
	case wire.TPublish:
		if b.Subscribers(m.Topic) == 0 {
			return nil // nobody listens: not an error for a driver streaming frames
		}
		msg.Kind = bus.KindPublish
		in.inHost.Add(1)
		err = b.Publish(in.ctx, msg)
		in.inHost.Add(-1)
		if err != nil && in.ctx.Err() == nil {
			return in.result(m.Seq, 0, err)
		}
		return nil
	case wire.TReply:
		msg.Corr = m.Corr
		if err := b.Reply(msg); err != nil {
			in.m.logf(in.spec.Name, 2, "reply to request %d: %v", m.Corr, err)
		}
		return nil
	}
	// Request and Send may wait long: they run beside the reader, at most cap(reqs) at once.
	select {
	case in.reqs <- struct{}{}:
	default:
		return in.result(m.Seq, 0, fmt.Errorf("%w: %d requests and sends in flight", bus.ErrLimit, cap(in.reqs)))
	}
	in.wg.Add(1)
	go func() {
		defer in.wg.Done()
		defer func() { <-in.reqs }()
		timeout := time.Duration(m.Timeout)
		if t == wire.TSend {
			ctx, cancel := context.WithTimeout(in.ctx, max(timeout, time.Millisecond))
			defer cancel()
			msg.Kind, msg.To = bus.KindDirect, bus.PID(m.To)
			in.result(m.Seq, 0, b.Send(ctx, msg))
			return
		}
		rep, err := b.Request(in.ctx, msg, timeout)
		if err != nil {
			in.result(m.Seq, 0, err)
			return
		}
		rep.Corr = m.Seq
		in.deliver(rep)
	}()
	return nil
}

// pump forwards the driver's inbox to its socket.
func (in *instance) pump() {
	defer in.wg.Done()
	for {
		m, err := in.inbox.Recv(in.ctx)
		if err != nil {
			return
		}
		if m.From != 0 && m.Kind != bus.KindReply && in.m.cfg.CheckDevice != nil {
			if err := in.m.cfg.CheckDevice(m.From, in.spec.Device); err != nil {
				in.refuse(m, err)
				continue
			}
		}
		err = in.sendPeer(m.From)
		if err == nil {
			err = in.deliver(m)
		}
		if err != nil && in.ctx.Err() == nil {
			in.stop("hung: it does not read its socket: "+err.Error(), Crashed)
			return
		}
	}
}

// refuse answers, on the driver's behalf, a message whose sender lacks the device grant.
func (in *instance) refuse(m bus.Message, why error) {
	in.releaseAll(m.Regions)
	in.m.logf(in.spec.Name, 2, "refused %v from %v on %q: %v", m.Kind, m.From, m.Topic, why)
	if m.Kind == bus.KindRequest {
		p, _ := json.Marshal(map[string]string{"error": fmt.Sprintf("device %q not granted: %v", in.spec.Device, why)})
		in.m.cfg.Bus.Reply(bus.Message{From: in.pid, Corr: m.Corr, Payload: p})
	}
}

func (in *instance) releaseAll(atts []bus.Attachment) {
	for _, a := range atts {
		in.m.cfg.Bus.RegionRelease(in.pid, a.Handle)
	}
}

// deliver writes m to the socket. Each attached region travels as a duplicate of its memfd;
// the driver's bus handle is released at once, as the driver's mapping now keeps the pages.
func (in *instance) deliver(m bus.Message) error {
	w := wire.Msg{Kind: uint32(m.Kind), From: uint32(m.From), Corr: m.Corr, Sent: m.Sent, Topic: m.Topic, Payload: m.Payload}
	var fds []int
	defer func() {
		for _, fd := range fds {
			unix.Close(fd)
		}
	}()
	for _, a := range m.Regions {
		r, rights, err := in.m.cfg.Bus.Region(in.pid, a.Handle)
		if err != nil || r.Fd() < 0 {
			in.m.logf(in.spec.Name, 2, "region %d in a message from %v cannot be shared with a native driver (not memfd-backed)", a.Handle, m.From)
			continue
		}
		fd, err := unix.FcntlInt(uintptr(r.Fd()), unix.F_DUPFD_CLOEXEC, 0)
		if err != nil {
			continue
		}
		w.Regions = append(w.Regions, wire.RegionRef{ID: uint32(len(fds)), Rights: uint32(rights & (bus.RightRead | bus.RightWrite)), Size: uint64(r.Size())})
		fds = append(fds, fd)
	}
	in.releaseAll(m.Regions)
	return in.conn.Write(wire.TDeliver, w.Encode(), fds...)
}
