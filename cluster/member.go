package cluster

import (
	"encoding/hex"
	"fmt"
	"sort"
	"time"

	"github.com/orbital/orbital/bus"
)

// Announcement is what a node publishes on orb.ann every Config.Announce: who it is and what
// it has. Every field is checked on arrival (Validate); a node announcing nonsense is refused.
type Announcement struct {
	V        int      `json:"v"`
	Name     string   `json:"name"`
	Boot     string   `json:"boot"`    // random per start: a node that restarted is a new incarnation
	Addr     string   `json:"addr"`    // its NATS address (the server it runs, or the one it joined)
	Started  int64    `json:"started"` // Unix ms
	Seq      uint64   `json:"seq"`
	Cores    int      `json:"cores"`
	MemTotal int64    `json:"mem_total"`
	MemFree  int64    `json:"mem_free"`
	Drivers  []string `json:"drivers"`  // running drivers (camera)
	Modules  []string `json:"modules"`  // installed modules
	Procs    []Proc   `json:"procs"`    // its processes
	Always   []string `json:"always"`   // services it runs under restart = "always"
	Interest []string `json:"interest"` // bus patterns its processes subscribe to
	Services []string `json:"services"` // installed services it serves by name (services.go)
}

// Proc is one process of a node, as `orbital ps --cluster` shows it.
type Proc struct {
	Node    string `json:"node"`
	PID     uint32 `json:"pid"`
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
	State   string `json:"state"`
	Uptime  int64  `json:"uptime_ms"`
	Memory  int64  `json:"memory"`
}

// Bounds of an announcement. Past any of them the announcement is refused, with the reason.
const (
	maxName      = 64
	maxCores     = 4096
	maxMemory    = 1 << 50 // 1 PiB
	maxList      = 4096
	maxAnnounce  = 1 << 20
	maxProcsSent = 1000
)

// ValidName checks a node name: 1 to 64 letters, digits, '-' and '_' (it is a NATS subject
// token).
func ValidName(name string) error {
	if name == "" || len(name) > maxName {
		return fmt.Errorf("node name %q: want 1 to %d characters", name, maxName)
	}
	for _, c := range name {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_') {
			return fmt.Errorf("node name %q: letters, digits, '-' and '_' only", name)
		}
	}
	return nil
}

// Validate refuses an announcement no honest node sends.
func (a *Announcement) Validate() error {
	if a.V != 1 {
		return fmt.Errorf("announcement version %d (this node speaks 1)", a.V)
	}
	if err := ValidName(a.Name); err != nil {
		return err
	}
	if b, err := hex.DecodeString(a.Boot); err != nil || len(b) < 8 || len(b) > 32 {
		return fmt.Errorf("boot id %q is not 8 to 32 hex bytes", a.Boot)
	}
	switch {
	case a.Cores < 1 || a.Cores > maxCores:
		return fmt.Errorf("%d cores (want 1 to %d)", a.Cores, maxCores)
	case a.MemTotal <= 0 || a.MemTotal > maxMemory:
		return fmt.Errorf("memory total %d bytes (want 1 B to 1 PiB)", a.MemTotal)
	case a.MemFree < 0 || a.MemFree > a.MemTotal:
		return fmt.Errorf("memory free %d of %d bytes", a.MemFree, a.MemTotal)
	case len(a.Drivers) > maxList || len(a.Modules) > maxList || len(a.Procs) > maxList || len(a.Always) > maxList || len(a.Interest) > maxList || len(a.Services) > maxList:
		return fmt.Errorf("a list longer than %d entries", maxList)
	case len(a.Addr) > 256:
		return fmt.Errorf("address of %d bytes", len(a.Addr))
	}
	for _, p := range a.Interest {
		if err := bus.ValidPattern(p); err != nil {
			return fmt.Errorf("interest %q: %v", p, err)
		}
	}
	for _, l := range [][]string{a.Drivers, a.Modules, a.Always, a.Services} {
		for _, s := range l {
			if s == "" || len(s) > 256 {
				return fmt.Errorf("a name of %d bytes", len(s))
			}
		}
	}
	return nil
}

// NodeInfo is one row of `orbital nodes`.
type NodeInfo struct {
	Name     string    `json:"name"`
	State    string    `json:"state"` // up or lost
	Addr     string    `json:"addr"`
	Self     bool      `json:"self,omitempty"`
	Uptime   int64     `json:"uptime_ms"`
	Cores    int       `json:"cores"`
	MemTotal int64     `json:"mem_total"`
	MemFree  int64     `json:"mem_free"`
	Procs    int       `json:"procs"`
	Drivers  []string  `json:"drivers"`
	LastSeen time.Time `json:"last_seen"`
}

// member is another node as this one knows it.
type member struct {
	ann   Announcement
	seen  time.Time
	lost  bool
	proxy bus.PID           // its node proxy on the local bus (0 while lost)
	subs  map[string]uint32 // pattern -> subscription of the node proxy
	procs map[uint32]bus.PID
}

func (m *member) info(now time.Time) NodeInfo {
	state := "up"
	if m.lost {
		state = "lost"
	}
	up := int64(0)
	if !m.lost {
		up = now.UnixMilli() - m.ann.Started
	}
	return NodeInfo{Name: m.ann.Name, State: state, Addr: m.ann.Addr, Uptime: up, Cores: m.ann.Cores,
		MemTotal: m.ann.MemTotal, MemFree: m.ann.MemFree, Procs: len(m.ann.Procs), Drivers: m.ann.Drivers, LastSeen: m.seen}
}

// Need is what a spawn asks of the node it lands on (orbital spawn --need).
type Need struct {
	Memory  int64    `json:"memory,omitempty"`
	Cores   int      `json:"cores,omitempty"`
	Drivers []string `json:"drivers,omitempty"`
}

// fits reports whether a node announcing a has what n asks.
func (n Need) fits(a *Announcement) bool {
	if a.MemFree < n.Memory || a.Cores < n.Cores {
		return false
	}
	for _, d := range n.Drivers {
		found := false
		for _, have := range a.Drivers {
			if have == d {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// rank orders candidate nodes: most free memory first, then most cores, then by name (so
// every node ranks the same list the same way).
func rank(c []*Announcement) {
	sort.Slice(c, func(i, j int) bool {
		if c[i].MemFree != c[j].MemFree {
			return c[i].MemFree > c[j].MemFree
		}
		if c[i].Cores != c[j].Cores {
			return c[i].Cores > c[j].Cores
		}
		return c[i].Name < c[j].Name
	})
}
