package drivers

import (
	"maps"
	"slices"
	"sync"

	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/drivers/wire"
)

// Peers, refusals and usage (protocol version 2). A driver that enforces limits of its own
// (the GPU driver's memory, rate and time budget per process) needs to know who sends it work
// and what that sender's policy allows, to hear when a sender is gone (so it frees what the
// sender held), to have its refusals audited like any door's, and to show what each process
// uses in the admin panel. Version-1 drivers get none of the Peer frames.

// PeerInfo is what the host tells a driver about a process sending to it.
type PeerInfo struct {
	Name   string           // the module name ("" for a pid the kernel does not know)
	Limits map[string]int64 // the ceilings its policy sets, by key ("limits.gpu_memory"); unset ones absent
}

// UsageRow is what one process uses of a driver, as the driver reported it.
type UsageRow struct {
	PID    bus.PID
	Values map[string]int64 // e.g. "gpu_memory" bytes, "dispatches"
}

// peerTable is the senders a driver was told about. pump adds (sendPeer), heartbeat removes
// (sweepPeers); both run beside each other.
type peerTable struct {
	mu    sync.Mutex
	known map[bus.PID]PeerInfo
}

// sendPeer tells the driver who pid is before its message goes out, when the driver speaks
// version 2 and pid is new or its name or limits changed (Config.Peer; without it the driver
// learns the pid alone, and still hears when it is gone).
func (in *instance) sendPeer(pid bus.PID) error {
	if pid == 0 || in.proto < 2 {
		return nil
	}
	var p PeerInfo
	if in.m.cfg.Peer != nil {
		p = in.m.cfg.Peer(pid)
	}
	in.peers.mu.Lock()
	old, ok := in.peers.known[pid]
	same := ok && old.Name == p.Name && maps.Equal(old.Limits, p.Limits)
	if !same {
		if in.peers.known == nil {
			in.peers.known = map[bus.PID]PeerInfo{}
		}
		in.peers.known[pid] = p
	}
	in.peers.mu.Unlock()
	if same {
		return nil
	}
	w := wire.Peer{PID: uint32(pid), Name: p.Name}
	for _, k := range slices.Sorted(maps.Keys(p.Limits)) {
		w.Limits = append(w.Limits, wire.KV{Key: k, N: p.Limits[k]})
	}
	return in.conn.Write(wire.TPeer, w.Encode())
}

// sweepPeers tells the driver which of its senders left the bus (ended, killed).
func (in *instance) sweepPeers() error {
	in.peers.mu.Lock()
	var gone []bus.PID
	for pid := range in.peers.known {
		if _, ok := in.m.cfg.Bus.Inbox(pid); !ok {
			gone = append(gone, pid)
			delete(in.peers.known, pid)
		}
	}
	in.peers.mu.Unlock()
	for _, pid := range gone {
		s := wire.Seq{ID: uint32(pid)}
		if err := in.conn.Write(wire.TPeerGone, s.Encode()); err != nil {
			return err
		}
	}
	return nil
}

// audit records a refusal the driver reports, naming the driver.
func (in *instance) audit(body []byte) error {
	var a wire.Audit
	if err := a.Decode(body); err != nil {
		return err
	}
	in.m.logf(in.spec.Name, 2, "refused %s %s to pid %d: %s", a.Op, a.Object, a.PID, a.Reason)
	if in.m.cfg.Audit != nil {
		in.m.cfg.Audit(in.spec.Name, bus.PID(a.PID), a.Op, a.Object, a.Reason)
	}
	return nil
}

// usage keeps the driver's latest per-process usage table for Info.
func (in *instance) usage(body []byte) error {
	var u wire.Usage
	if err := u.Decode(body); err != nil {
		return err
	}
	rows := make([]UsageRow, 0, len(u.Rows))
	for _, r := range u.Rows {
		row := UsageRow{PID: bus.PID(r.PID), Values: map[string]int64{}}
		for _, kv := range r.Values {
			row.Values[kv.Key] = kv.N
		}
		rows = append(rows, row)
	}
	in.umu.Lock()
	in.usageRows = rows
	in.umu.Unlock()
	return nil
}

// Usage returns the rows the driver reported last.
func (in *instance) Usage() []UsageRow {
	in.umu.Lock()
	defer in.umu.Unlock()
	out := make([]UsageRow, len(in.usageRows))
	for i, r := range in.usageRows {
		out[i] = UsageRow{PID: r.PID, Values: maps.Clone(r.Values)}
	}
	return out
}
