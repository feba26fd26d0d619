package admin

import (
	"sync"
	"time"
)

// Sampler wraps a Controller and fills in Proc.CPUPct: the share of one CPU each process used
// between two samples at least a second apart. It samples when asked, so it owns no goroutine.
type Sampler struct {
	Controller
	mu   sync.Mutex
	now  func() time.Time
	prev map[uint32]sample // the baseline the next CPU % is measured against
	last map[uint32]float64
}

type sample struct {
	at  time.Time
	cpu time.Duration
}

// NewSampler wraps ctl.
func NewSampler(ctl Controller) *Sampler {
	if s, ok := ctl.(*Sampler); ok {
		return s
	}
	return &Sampler{Controller: ctl, now: time.Now, prev: map[uint32]sample{}, last: map[uint32]float64{}}
}

// Processes returns ctl's processes with CPU % filled in.
func (s *Sampler) Processes() []Proc {
	procs := s.Controller.Processes()
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := make(map[uint32]bool, len(procs))
	for i := range procs {
		p := &procs[i]
		seen[p.PID] = true
		prev, ok := s.prev[p.PID]
		switch {
		case !ok:
			s.prev[p.PID] = sample{now, p.CPU}
			// First sight: the average since start is the best estimate there is.
			if up := now.Sub(p.Started); !p.Started.IsZero() && up > 0 {
				s.last[p.PID] = pct(p.CPU, up)
			}
		case now.Sub(prev.at) >= time.Second:
			s.last[p.PID] = pct(p.CPU-prev.cpu, now.Sub(prev.at))
			s.prev[p.PID] = sample{now, p.CPU}
		}
		p.CPUPct = s.last[p.PID]
	}
	for pid := range s.prev {
		if !seen[pid] {
			delete(s.prev, pid)
			delete(s.last, pid)
		}
	}
	return procs
}

func pct(cpu, wall time.Duration) float64 {
	if wall <= 0 || cpu < 0 {
		return 0
	}
	return 100 * float64(cpu) / float64(wall)
}
