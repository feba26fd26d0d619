//go:build wasip1

// Command admin is Orbital's admin panel inside the shell (orbital://admin): a live table of
// every running module and driver with per-row Stop, Restart, Reload, Kill and Logs, sortable by any
// column, and tabs for the instance's jobs (sys.jobs) and the installed modules with Start
// (sys.installed, sys.start). It is an ordinary module: it reads the kernel's introspection service over the bus
// (sys.ps once a second, sys.logs for the open log pane) and acts through sys.stop,
// sys.restart, sys.reload and sys.kill, so what it may do is exactly what its policy grants
// (policies/defaults/admin.toml).
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"os"
	"time"

	"github.com/orbital/orbital/modules/sdk"
)

const refresh = time.Second

func main() {
	fs, err := loadFonts()
	if err != nil {
		sdk.Errorf("admin: fonts: %v", err)
		os.Exit(1)
	}
	t := &table{w: min(tableWidth(), 1260), h: 460}
	s, err := sdk.NewSurface(t.w, t.h, "Orbital admin")
	if err != nil {
		sdk.Errorf("admin: %v", err)
		os.Exit(1)
	}
	img := s.NewImage()
	var last time.Duration = -refresh
	dirty := true
	err = sdk.Run(s, 10, func(f *sdk.Frame) bool {
		for _, ev := range f.Events {
			dirty = t.handle(ev, s, &img) || dirty
		}
		if f.Time-last >= refresh {
			last = f.Time
			t.poll()
			dirty = true
		}
		if dirty {
			t.render(img, fs, sdk.WallTime())
			f.Present(img)
			dirty = false
		}
		return true
	})
	if err != nil {
		sdk.Errorf("admin: %v", err)
		os.Exit(1)
	}
}

// poll refreshes the rows (and the open log pane) from the kernel.
func (t *table) poll() {
	var ps struct {
		Procs []proc `json:"procs"`
		Error string `json:"error"`
	}
	if err := request("sys.ps", nil, &ps); err != nil {
		t.setStatus(true, "sys.ps: %v", err)
		return
	}
	t.procs = ps.Procs
	t.sort()
	t.noteReloads()
	if t.logsPID != 0 {
		t.pollLogs()
	}
	switch t.view {
	case viewJobs:
		var js struct {
			Jobs []job `json:"jobs"`
		}
		if err := request("sys.jobs", nil, &js); err != nil {
			t.setStatus(true, "sys.jobs: %v", err)
		}
		t.jobs = js.Jobs
	case viewInstalled:
		var in struct {
			Modules []module `json:"modules"`
		}
		if err := request("sys.installed", nil, &in); err != nil {
			t.setStatus(true, "sys.installed: %v", err)
		}
		t.mods = in.Modules
	}
	t.scrollBy(0)
}

func (t *table) pollLogs() {
	var lg struct {
		Lines []struct {
			Time   time.Time `json:"time"`
			Stream string    `json:"stream"`
			Text   string    `json:"text"`
		} `json:"lines"`
	}
	if err := request("sys.logs", map[string]any{"pid": t.logsPID, "n": 40}, &lg); err != nil {
		t.logs = []string{err.Error()}
		return
	}
	t.logs = t.logs[:0]
	for _, l := range lg.Lines {
		t.logs = append(t.logs, fmt.Sprintf("%s %-6s %s", l.Time.Local().Format("15:04:05"), l.Stream, l.Text))
	}
	if len(t.logs) == 0 {
		t.logs = []string{"(no lines yet)"}
	}
}

// request asks the kernel's sys.* service and decodes its JSON answer into out.
func request(topic string, body any, out any) error {
	var payload []byte
	if body != nil {
		payload, _ = json.Marshal(body)
	}
	rep, err := sdk.Request(topic, payload, 2*time.Second)
	if err != nil {
		if errors.Is(err, sdk.ErrDenied) {
			return fmt.Errorf("denied: this panel's policy does not grant %s", topic)
		}
		return err
	}
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(rep.Payload, &e) == nil && e.Error != "" {
		return errors.New(e.Error)
	}
	return json.Unmarshal(rep.Payload, out)
}

// handle applies one input event; it reports whether the panel must be redrawn.
func (t *table) handle(ev sdk.Event, s *sdk.Surface, img **image.RGBA) bool {
	switch e := ev.(type) {
	case sdk.MouseDown:
		if e.Button != 0 {
			return false
		}
		h := t.hitTest(e.X, e.Y)
		switch {
		case h.tab >= 0:
			t.view, t.scroll = h.tab, 0
			t.poll()
		case h.action == "Start":
			t.start(h.name)
		case h.header >= 0:
			t.clickHeader(h.header)
		case h.action == "Logs":
			if t.logsPID == h.pid {
				t.logsPID = 0
			} else {
				t.logsPID = h.pid
				t.pollLogs()
			}
		case h.action != "":
			t.act(h.action, h.pid)
		default:
			return false
		}
		return true
	case sdk.Scroll:
		if e.DY > 0 {
			t.scrollBy(-1)
		} else if e.DY < 0 {
			t.scrollBy(1)
		}
		return true
	case sdk.Resize:
		if e.Width < 200 || e.Height < 150 || s.Resize(e.Width, e.Height) != nil {
			return false
		}
		t.w, t.h = e.Width, e.Height
		*img = s.NewImage()
		return true
	}
	return false
}

// act sends a stop, restart or kill for pid and shows the answer in the status line.
func (t *table) act(action string, pid uint32) {
	if action == "Reload" {
		t.reload(pid)
		return
	}
	topic := map[string]string{"Stop": "sys.stop", "Restart": "sys.restart", "Kill": "sys.kill"}[action]
	var ok struct {
		OK bool `json:"ok"`
	}
	if err := request(topic, map[string]any{"pid": pid}, &ok); err != nil {
		t.setStatus(true, "%s pid %d: %v", action, pid, err)
		return
	}
	t.setStatus(false, "%s pid %d: done", action, pid)
	t.poll()
}

// start asks the instance to start an installed module (sys.start) under its care.
func (t *table) start(name string) {
	var ans struct {
		PID uint32 `json:"pid"`
	}
	if err := request("sys.start", map[string]any{"name": name}, &ans); err != nil {
		t.setStatus(true, "Start %s: %v", name, err)
		return
	}
	t.setStatus(false, "Started %s as pid %d", name, ans.PID)
	t.poll()
}

// reload asks for the module of pid to move to its newest version in place. The kernel
// answers at once; the outcome (seconds later, after the grace period) shows in the status
// line when a poll brings it (noteReloads).
func (t *table) reload(pid uint32) {
	var ans struct {
		Name string `json:"name"`
	}
	if err := request("sys.reload", map[string]any{"pid": pid, "wait": false}, &ans); err != nil {
		t.setStatus(true, "Reload pid %d: %v", pid, err)
		return
	}
	t.watchReload(pid)
	t.setStatus(false, "Reloading %s (pid %d) in place...", ans.Name, pid)
}
