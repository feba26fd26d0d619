package main

import (
	"testing"
	"time"
)

func demo() *table {
	now := time.Now()
	return &table{w: tableWidth(), h: 400, procs: []proc{
		{PID: 0, Name: "orbital shell", Kind: "kernel", State: "running", Protected: true, Started: now},
		{PID: 3, Name: "life", Kind: "app", State: "blocked", Memory: 5 << 20, Started: now},
		{PID: 2, Name: "clock", Kind: "app", State: "running", Memory: 4 << 20, Started: now},
	}}
}

func TestSortToggles(t *testing.T) {
	tb := demo()
	tb.clickHeader(1) // Name
	if tb.procs[0].Name != "clock" || tb.procs[2].Name != "orbital shell" {
		t.Fatalf("by name: %v", tb.procs)
	}
	tb.clickHeader(1)
	if tb.procs[0].Name != "orbital shell" {
		t.Fatalf("by name, descending: %v", tb.procs)
	}
	tb.clickHeader(8) // Memory
	if tb.procs[2].PID != 3 {
		t.Fatalf("by memory: %v", tb.procs)
	}
}

func TestHitTest(t *testing.T) {
	tb := demo()
	tb.sortCol = 0
	tb.sort() // 0, 2, 3
	r := tb.buttonRect(1, 0)
	if h := tb.hitTest(r.Min.X+2, r.Min.Y+2); h.pid != 2 || h.action != "Stop" {
		t.Fatalf("stop button of row 1: %+v", h)
	}
	r = tb.buttonRect(2, 3)
	if h := tb.hitTest(r.Min.X+2, r.Min.Y+2); h.pid != 3 || h.action != "Kill" {
		t.Fatalf("kill button of row 2: %+v", h)
	}
	r = tb.buttonRect(1, 2)
	if h := tb.hitTest(r.Min.X+2, r.Min.Y+2); h.pid != 2 || h.action != "Reload" {
		t.Fatalf("reload button of row 1: %+v", h)
	}
	r = tb.buttonRect(0, 3)
	if h := tb.hitTest(r.Min.X+2, r.Min.Y+2); h.action != "" {
		t.Fatalf("kill on the protected shell row must do nothing: %+v", h)
	}
	if h := tb.hitTest(pad+50, headerH+5); h.header != 1 {
		t.Fatalf("header click: %+v", h)
	}
	if h := tb.hitTest(5, 5); h.header != -1 || h.action != "" {
		t.Fatalf("title bar click: %+v", h)
	}
}

func TestScrollBounds(t *testing.T) {
	tb := demo()
	tb.h = headerH + colHeadH + statusH + 2*rowH // two rows fit
	tb.scrollBy(10)
	if tb.scroll != 1 {
		t.Fatalf("scroll = %d, want 1", tb.scroll)
	}
	tb.scrollBy(-5)
	if tb.scroll != 0 {
		t.Fatalf("scroll = %d, want 0", tb.scroll)
	}
}

func TestReloadOutcomeShows(t *testing.T) {
	tb := demo()
	tb.watchReload(2)
	tb.noteReloads() // nothing new yet
	if tb.status != "" {
		t.Fatalf("status %q before the outcome", tb.status)
	}
	tb.procs[2].Reload = "rolled back 1.0.0 -> 2.0.0: trap"
	tb.noteReloads()
	if tb.status != "pid 2: rolled back 1.0.0 -> 2.0.0: trap" || !tb.bad || len(tb.reloads) != 0 {
		t.Fatalf("status %q bad %v, %d watched", tb.status, tb.bad, len(tb.reloads))
	}
}

// The tabs switch views; the Installed view offers Start for modules that do not run.
func TestViews(t *testing.T) {
	tb := demo()
	r := tb.tabRect(viewInstalled)
	if h := tb.hitTest(r.Min.X+2, r.Min.Y+2); h.tab != viewInstalled {
		t.Fatalf("tab click: %+v", h)
	}
	tb.view = viewInstalled
	tb.mods = []module{{Name: "clock", Running: true}, {Name: "life"}}
	b := startRect(tb.rowRect(1), installedColumns)
	if h := tb.hitTest(b.Min.X+2, b.Min.Y+2); h.action != "Start" || h.name != "life" {
		t.Fatalf("Start of life: %+v", h)
	}
	b = startRect(tb.rowRect(0), installedColumns)
	if h := tb.hitTest(b.Min.X+2, b.Min.Y+2); h.action != "" {
		t.Fatalf("Start of a running module must do nothing: %+v", h)
	}
	tb.view = viewJobs
	tb.jobs = []job{{Module: "tick", Trigger: "@every 1s", Runs: 3}}
	if cols, rows, start := tb.listRows(time.Now()); len(cols) != len(rows[0]) || rows[0][5] != "3" || start != nil {
		t.Fatalf("jobs rows %v", rows)
	}
}

func TestDevicesView(t *testing.T) {
	tb := demo()
	tb.procs = append(tb.procs, proc{PID: 1 << 20, Name: "gpu", Kind: "driver", Usage: []deviceUse{
		{PID: 3, Name: "life", Values: map[string]int64{"gpu_memory": 3 << 20, "dispatches": 120, "gpu_ms": 1500, "abandoned": 1}}}})
	tb.view = viewDevices
	cols, rows, start := tb.listRows(time.Now())
	if len(cols) != len(deviceColumns) || start != nil || len(rows) != 1 || tb.rows() != 1 {
		t.Fatalf("devices view: %v %v %v", cols, rows, start)
	}
	want := []string{"gpu", "3", "life", "3.0MiB", "120", "0", "1.5s", "0", "1", "0"}
	for i, w := range want {
		if rows[0][i] != w {
			t.Fatalf("row %q, want %q", rows[0], want)
		}
	}
}

func TestStorageColumn(t *testing.T) {
	if got := storageText(proc{Storage: 2048, Quota: 1 << 20}, time.Time{}); got != bytesText(2048)+"/"+bytesText(1<<20) {
		t.Errorf("%q", got)
	}
	if got := storageText(proc{}, time.Time{}); got != "-" {
		t.Errorf("%q", got)
	}
}
