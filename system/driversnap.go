package system

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/orbital/orbital/drivers"
)

// driverSnapshot keeps <home>/run/drivers-<pid>.json current (once a second) so that
// `orbital drivers` in another process can show what this instance supervises.
type driverSnapshot struct {
	path string
	m    *drivers.Manager
	stop chan struct{}
	done sync.WaitGroup
}

func newDriverSnapshot(home string, m *drivers.Manager) *driverSnapshot {
	s := &driverSnapshot{path: filepath.Join(home, "run", "drivers-"+strconv.Itoa(os.Getpid())+".json"), m: m, stop: make(chan struct{})}
	os.MkdirAll(filepath.Dir(s.path), 0o755)
	s.write()
	s.done.Add(1)
	go func() {
		defer s.done.Done()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-t.C:
				s.write()
			}
		}
	}()
	return s
}

func (s *driverSnapshot) write() {
	b, _ := json.Marshal(s.m.List())
	tmp := s.path + ".tmp"
	if os.WriteFile(tmp, b, 0o644) == nil {
		os.Rename(tmp, s.path)
	}
}

func (s *driverSnapshot) close() {
	close(s.stop)
	s.done.Wait()
	os.Remove(s.path)
}

// RunningDrivers reads the snapshots of the live orbital processes of home, by their OS pid
// (the snapshots of processes that are gone are removed).
func RunningDrivers(home string) map[int][]drivers.Info {
	out := map[int][]drivers.Info{}
	files, _ := filepath.Glob(filepath.Join(home, "run", "drivers-*.json"))
	for _, f := range files {
		pid, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "drivers-"), ".json"))
		if err != nil {
			continue
		}
		if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); errors.Is(err, os.ErrNotExist) {
			os.Remove(f) // its process is gone (killed without cleanup)
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		var rows []drivers.Info
		if json.Unmarshal(b, &rows) == nil {
			out[pid] = rows
		}
	}
	return out
}

// ProcUsage reads a process's CPU time and resident memory from /proc (0 when gone).
func ProcUsage(pid int) (time.Duration, int64) {
	var cpu time.Duration
	if b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err == nil {
		s := string(b)
		if i := strings.LastIndexByte(s, ')'); i >= 0 {
			if f := strings.Fields(s[i+1:]); len(f) > 13 {
				ut, _ := strconv.ParseInt(f[11], 10, 64)
				st, _ := strconv.ParseInt(f[12], 10, 64)
				cpu = time.Duration(ut+st) * (time.Second / 100) // USER_HZ is 100 on Linux
			}
		}
	}
	var rss int64
	if b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/statm"); err == nil {
		if f := strings.Fields(string(b)); len(f) > 1 {
			pages, _ := strconv.ParseInt(f[1], 10, 64)
			rss = pages * int64(os.Getpagesize())
		}
	}
	return cpu, rss
}
