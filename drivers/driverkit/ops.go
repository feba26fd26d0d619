package driverkit

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/orbital/orbital/drivers/wire"
)

// Subscription modes.
const (
	Reliable = 0
	Lossy    = 1
)

func (d *Driver) await(op string, seq uint64, timeout time.Duration, send func() error) (reply, error) {
	ch := make(chan reply, 1)
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return reply{}, fmt.Errorf("driverkit: %s: connection closed", op)
	}
	d.pending[seq] = ch
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		delete(d.pending, seq)
		d.mu.Unlock()
	}()
	if err := send(); err != nil {
		return reply{}, fmt.Errorf("driverkit: %s: %w", op, err)
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case r := <-ch:
		if r.res != nil && r.res.Code < 0 {
			return r, &Error{Op: op, Code: r.res.Code, Msg: r.res.Err}
		}
		return r, nil
	case <-d.readDone:
		return reply{}, fmt.Errorf("driverkit: %s: connection closed", op)
	case <-t.C:
		return reply{}, fmt.Errorf("driverkit: %s: no answer from the kernel in %v", op, timeout)
	}
}

// Subscribe asks for messages on topics matching pattern (mode Reliable or Lossy) and returns
// the subscription id.
func (d *Driver) Subscribe(pattern string, mode uint32) (uint32, error) {
	m := wire.Subscribe{Seq: d.seq.Add(1), Mode: mode, Pattern: pattern}
	r, err := d.await("subscribe "+pattern, m.Seq, 10*time.Second, func() error {
		return d.conn.Write(wire.TSubscribe, m.Encode())
	})
	if err != nil {
		return 0, err
	}
	return r.res.Value, nil
}

// Subscribers returns how many subscriptions match topic right now: a driver streams only
// while someone listens (a camera turns off when its last viewer is gone).
func (d *Driver) Subscribers(topic string) (int, error) {
	m := wire.Subscribe{Seq: d.seq.Add(1), Pattern: topic}
	r, err := d.await("subscribers "+topic, m.Seq, 10*time.Second, func() error {
		return d.conn.Write(wire.TSubscribers, m.Encode())
	})
	if err != nil {
		return 0, err
	}
	return int(r.res.Value), nil
}

// Unsubscribe drops a subscription.
func (d *Driver) Unsubscribe(id uint32) error {
	m := wire.Seq{Seq: d.seq.Add(1), ID: id}
	_, err := d.await("unsubscribe", m.Seq, 10*time.Second, func() error {
		return d.conn.Write(wire.TUnsubscribe, m.Encode())
	})
	return err
}

func refs(atts []Attach) []wire.RegionRef {
	var out []wire.RegionRef
	for _, a := range atts {
		out = append(out, wire.RegionRef{ID: a.Region.id, Rights: a.Rights})
	}
	return out
}

// Publish sends payload (and regions) on topic. It does not wait: the host reports failures
// asynchronously (PublishErrors).
func (d *Driver) Publish(topic string, payload []byte, regions ...Attach) error {
	m := wire.Msg{Seq: d.seq.Add(1), Topic: topic, Payload: payload, Regions: refs(regions)}
	return d.conn.Write(wire.TPublish, m.Encode())
}

// Reply answers the request with correlation id corr.
func (d *Driver) Reply(corr uint64, payload []byte, regions ...Attach) error {
	m := wire.Msg{Seq: corr, Corr: corr, Payload: payload, Regions: refs(regions)}
	return d.conn.Write(wire.TReply, m.Encode())
}

// Send sends a direct message to pid, waiting at most timeout for room in its inbox.
func (d *Driver) Send(pid uint32, payload []byte, timeout time.Duration, regions ...Attach) error {
	m := wire.Msg{Seq: d.seq.Add(1), Kind: KindDirect, To: pid, Timeout: int64(timeout), Payload: payload, Regions: refs(regions)}
	_, err := d.await("send", m.Seq, timeout+10*time.Second, func() error {
		return d.conn.Write(wire.TSend, m.Encode())
	})
	return err
}

// Request sends payload on topic as a request and waits at most timeout for the reply.
func (d *Driver) Request(topic string, payload []byte, timeout time.Duration) (Message, error) {
	m := wire.Msg{Seq: d.seq.Add(1), Topic: topic, Timeout: int64(timeout), Payload: payload}
	r, err := d.await("request "+topic, m.Seq, timeout+10*time.Second, func() error {
		return d.conn.Write(wire.TRequest, m.Encode())
	})
	if err != nil {
		return Message{}, err
	}
	return *r.msg, nil
}

// Audit reports a refusal to the kernel's audit log: the driver refused process pid the
// operation op on object, for reason (a limit of its own; the kernel checks device grants
// itself). A no-op with a kernel that speaks protocol version 1.
func (d *Driver) Audit(pid uint32, op, object, reason string) error {
	if d.proto < 2 {
		return nil
	}
	a := wire.Audit{PID: pid, Op: op, Object: object, Reason: reason}
	return d.conn.Write(wire.TAudit, a.Encode())
}

// UsageRow is what one process uses of the driver, for the admin panel.
type UsageRow struct {
	PID    uint32
	Values map[string]int64
}

// ReportUsage replaces the driver's per-process usage table the kernel shows (admin panel,
// `orbital ps`). A no-op with a kernel that speaks protocol version 1.
func (d *Driver) ReportUsage(rows []UsageRow) error {
	if d.proto < 2 {
		return nil
	}
	var u wire.Usage
	for _, r := range rows {
		w := wire.UsageRow{PID: r.PID}
		for _, k := range slices.Sorted(maps.Keys(r.Values)) {
			w.Values = append(w.Values, wire.KV{Key: k, N: r.Values[k]})
		}
		u.Rows = append(u.Rows, w)
	}
	return d.conn.Write(wire.TUsage, u.Encode())
}
