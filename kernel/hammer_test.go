package kernel

import (
	"sync"
	"testing"
	"time"
)

// TestHammerSpawnKill spawns, kills, lists and posts events from several goroutines at once,
// under -race: the process table, the epoch slots and the bus attach/detach must hold up.
func TestHammerSpawnKill(t *testing.T) {
	k := newKernel(t, Config{AllowAll: true, QuitGrace: 50 * time.Millisecond})
	loop := watModule(t, k, "loop", wat(watLoop))
	recv := watModule(t, k, "recv", wat(recvLoop))
	quick := watModule(t, k, "quick", wat(`(func (export "_start"))`))
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 15; i++ {
				m := []*Module{loop, recv, quick}[(g+i)%3]
				p, err := k.Spawn(m, SpawnOptions{Stdout: "/dev/null", Stderr: "/dev/null", Limits: Limits{Deadline: -1}})
				if err != nil {
					t.Error(err)
					return
				}
				k.PostEvent(p.PID(), Event{Type: EventFocus})
				_ = k.List()
				k.Kill(p.PID(), i%2 == 0)
				k.Kill(p.PID(), true)
				if _, err := p.Wait(t.Context()); err != nil {
					t.Error(err)
					return
				}
				k.Forget(p.PID())
			}
		}(g)
	}
	wg.Wait()
	if n := len(k.List()); n != 0 {
		t.Fatalf("%d processes left in the table", n)
	}
	epochMu.Lock()
	slots := len(epochSlots)
	epochMu.Unlock()
	if slots != 0 {
		t.Fatalf("%d epoch slots leaked", slots)
	}
}
