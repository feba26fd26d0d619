package driverkit

import (
	"github.com/orbital/orbital/drivers/wire"
)

// readLoop is the driver's only reader of the socket: it answers pings, routes results and
// replies to waiting calls and queues everything else on Messages.
func (d *Driver) readLoop() {
	defer close(d.readDone)
	defer close(d.msgs)
	for {
		f, err := d.conn.Read()
		if err != nil {
			if wire.IsClosed(err) {
				d.stop("the kernel closed the connection")
			} else {
				d.stop("connection error: " + err.Error())
			}
			return
		}
		if err := d.handle(f); err != nil {
			f.CloseFDs()
			d.stop(err.Error())
			d.conn.Close()
			return
		}
	}
}

func (d *Driver) handle(f wire.Frame) error {
	switch f.Type {
	case wire.TPing:
		var s wire.Seq
		if err := s.Decode(f.Body); err != nil {
			return err
		}
		return d.conn.Write(wire.TPong, f.Body)
	case wire.TStop:
		var t wire.Text
		t.Decode(f.Body)
		d.stop("the kernel asked the driver to stop: " + t.Text)
		return nil
	case wire.TResult:
		var r wire.Result
		if err := r.Decode(f.Body); err != nil {
			return err
		}
		d.mu.Lock()
		ch, ok := d.pending[r.Seq]
		d.mu.Unlock()
		if ok {
			ch <- reply{res: &r}
		} else if r.Code < 0 {
			d.pubErrs.Add(1)
			d.lastErr.Store(&r.Err)
		}
		return nil
	case wire.TDeliver:
		var m wire.Msg
		if err := m.Decode(f.Body); err != nil {
			return err
		}
		msg := Message{Kind: m.Kind, From: m.From, Topic: m.Topic, Corr: m.Corr, Sent: m.Sent, Payload: m.Payload, Peer: d.peers[m.From]}
		fds := f.FDs
		f.FDs = nil
		for i, r := range m.Regions {
			if int(r.ID) >= len(fds) || r.ID != uint32(i) {
				for _, rg := range msg.Regions {
					rg.Close()
				}
				closeFDs(fds)
				return wireErr("deliver: region reference does not match the frame's descriptors")
			}
			msg.Regions = append(msg.Regions, &Region{fd: fds[i], size: int(r.Size), rights: r.Rights})
		}
		closeFDs(fds[len(msg.Regions):])
		if m.Kind == KindReply {
			d.mu.Lock()
			ch, ok := d.pending[m.Corr]
			d.mu.Unlock()
			if ok {
				ch <- reply{msg: &msg}
				return nil
			}
		}
		d.queue(msg)
		return nil
	case wire.TPeer:
		var p wire.Peer
		if err := p.Decode(f.Body); err != nil {
			return err
		}
		peer := &Peer{PID: p.PID, Name: p.Name, Limits: map[string]int64{}}
		for _, kv := range p.Limits {
			peer.Limits[kv.Key] = kv.N
		}
		d.peers[p.PID] = peer
		return nil
	case wire.TPeerGone:
		var s wire.Seq
		if err := s.Decode(f.Body); err != nil {
			return err
		}
		delete(d.peers, s.ID)
		d.queue(Message{Kind: KindPeerGone, From: s.ID})
		return nil
	}
	return wireErr("unexpected frame " + f.Type.String() + " from the kernel")
}

// queue hands msg to Messages, or drops it (closing its regions) when the driver is stopping.
func (d *Driver) queue(msg Message) {
	select {
	case d.msgs <- msg:
	case <-d.stopping:
		for _, rg := range msg.Regions {
			rg.Close()
		}
	}
}
