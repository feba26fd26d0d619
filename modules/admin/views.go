package main

import (
	"fmt"
	"image"
	"time"
)

// The panel's other views, chosen by the tabs in the title bar: Jobs (sys.jobs: every
// trigger of the instance with its last and next run, runs, skips and last exit), Installed
// (sys.installed: the installed modules, each with a Start button that sends sys.start) and
// Devices (from sys.ps: what each process uses of each driver, e.g. its GPU memory and
// dispatches).

// Views.
const (
	viewProcs = iota
	viewJobs
	viewInstalled
	viewDevices
)

var tabs = []string{"Processes", "Jobs", "Installed", "Devices"}

// job is one row of sys.jobs (admin.Job on the host side).
type job struct {
	Module   string    `json:"module"`
	Trigger  string    `json:"trigger"`
	State    string    `json:"state"`
	LastRun  time.Time `json:"last_run"`
	NextRun  time.Time `json:"next_run"`
	Runs     int       `json:"runs"`
	Skips    int       `json:"skips"`
	Restarts int       `json:"restarts"`
	LastExit string    `json:"last_exit"`
}

// module is one row of sys.installed (admin.Module on the host side).
type module struct {
	Name        string `json:"name"`
	Version     string `json:"version"`
	Kind        string `json:"kind"`
	Description string `json:"description"`
	Running     bool   `json:"running"`
}

// listColumn is a column of the Jobs and Installed views.
type listColumn struct {
	title string
	width int
	right bool
}

var jobColumns = []listColumn{{"Module", 100, false}, {"Trigger", 130, false}, {"State", 66, false}, {"Last run", 76, true},
	{"Next run", 76, true}, {"Runs", 44, true}, {"Skips", 44, true}, {"Restarts", 56, true}, {"Last exit", 300, false}}

var deviceColumns = []listColumn{{"Driver", 80, false}, {"PID", 50, true}, {"Module", 110, false}, {"Memory", 80, true},
	{"Dispatches", 76, true}, {"Draws", 60, true}, {"Time", 70, true}, {"Refused", 60, true}, {"Abandoned", 76, true}, {"Lost", 44, true}}

// deviceRows are the Devices view's rows: one per process per driver reporting usage.
func (t *table) deviceRows() [][]string {
	var rows [][]string
	for _, d := range t.procs {
		for _, u := range d.Usage {
			v := func(k string) string { return fmt.Sprint(u.Values[k]) }
			rows = append(rows, []string{d.Name, fmt.Sprint(u.PID), dash(u.Name), bytesText(u.Values["gpu_memory"]), v("dispatches"), v("draws"),
				duration(time.Duration(u.Values["gpu_ms"]) * time.Millisecond), v("refused"), v("abandoned"), v("lost")})
		}
	}
	return rows
}

var installedColumns = []listColumn{{"Name", 110, false}, {"Version", 64, false}, {"Kind", 56, false}, {"Description", 460, false}}

// listRows are the cells of the current view's rows, and whether each row's Start is offered.
func (t *table) listRows(now time.Time) (cols []listColumn, rows [][]string, start []bool) {
	if t.view == viewDevices {
		return deviceColumns, t.deviceRows(), nil
	}
	if t.view == viewJobs {
		for _, j := range t.jobs {
			rows = append(rows, []string{j.Module, j.Trigger, j.State, when(j.LastRun, now), when(j.NextRun, now),
				fmt.Sprint(j.Runs), fmt.Sprint(j.Skips), fmt.Sprint(j.Restarts), dash(j.LastExit)})
		}
		return jobColumns, rows, nil
	}
	for _, m := range t.mods {
		rows = append(rows, []string{m.Name, m.Version, m.Kind, dash(m.Description)})
		start = append(start, !m.Running)
	}
	return installedColumns, rows, start
}

// when shows t relative to now ("12s ago", "in 3m00s", "-").
func when(t, now time.Time) string {
	switch {
	case t.IsZero() || t.Year() < 2:
		return "-"
	case t.After(now):
		return "in " + duration(t.Sub(now).Round(time.Second))
	}
	return duration(now.Sub(t).Round(time.Second)) + " ago"
}

// tabRect is the rectangle of tab i in the title bar, from the right.
func (t *table) tabRect(i int) image.Rectangle {
	const w, gap = 84, 6
	x := t.w - pad - (len(tabs)-i)*(w+gap)
	return image.Rect(x, 10, x+w, headerH-10)
}

// startRect is the Start button of visible row i in the Installed view.
func startRect(r image.Rectangle, cols []listColumn) image.Rectangle {
	x := pad
	for _, c := range cols {
		x += c.width
	}
	y := r.Min.Y + (rowH-buttonH)/2
	return image.Rect(x, y, x+buttonW, y+buttonH)
}

// hitList says what a click at (x, y) means in the Jobs and Installed views: the name of the
// module whose Start was clicked, or "".
func (t *table) hitList(x, y int) string {
	if t.view != viewInstalled {
		return ""
	}
	for i := 0; i < t.visibleRows() && t.scroll+i < len(t.mods); i++ {
		m := t.mods[t.scroll+i]
		if !m.Running && image.Pt(x, y).In(startRect(t.rowRect(i), installedColumns)) {
			return m.Name
		}
	}
	return ""
}

// renderList draws the rows of the Jobs or Installed view below the title bar.
func (t *table) renderList(img *image.RGBA, fs *fonts, now time.Time) {
	cols, rows, start := t.listRows(now)
	fill(img, image.Rect(0, headerH, t.w, headerH+colHeadH), headBG)
	cx := pad
	for _, c := range cols {
		t.cell(img, fs.small, cx, headerH+17, column{width: c.width + 4, right: c.right}, c.title, fg)
		cx += c.width
	}
	if start != nil {
		text(img, fs.small, cx, headerH+17, 0, fg, "Actions")
	}
	fill(img, image.Rect(0, headerH+colHeadH-1, t.w, headerH+colHeadH), line)
	for i := 0; i < t.visibleRows() && t.scroll+i < len(rows); i++ {
		row := rows[t.scroll+i]
		r := t.rowBackground(img, i)
		cx := pad
		for k, c := range cols {
			t.cell(img, fs.regular, cx, r.Min.Y+16, column{width: c.width, right: c.right}, row[k], fg)
			cx += c.width
		}
		if start != nil && start[t.scroll+i] {
			br := startRect(r, cols)
			fill(img, br, buttonBor)
			fill(img, br.Inset(1), buttonBG)
			text(img, fs.regular, br.Min.X+(br.Dx()-width(fs.regular, "Start"))/2, br.Min.Y+13, 0, fg, "Start")
		}
	}
	if len(rows) == 0 {
		empty := "No module has triggers ([triggers] in module.toml)"
		if t.view == viewInstalled {
			empty = "Nothing installed (orbital install SOURCE)"
		}
		if t.view == viewDevices {
			empty = "No driver reports what processes use of it"
		}
		text(img, fs.regular, pad+4, headerH+colHeadH+18, 0, muted, empty)
	}
}

// renderTabs draws the view tabs into the title bar.
func (t *table) renderTabs(img *image.RGBA, fs *fonts) {
	for i, name := range tabs {
		r := t.tabRect(i)
		c, tc := titleBG, subFG
		if i == t.view {
			c, tc = titleFG, titleBG
		}
		fill(img, r, subFG)
		fill(img, r.Inset(1), c)
		text(img, fs.regular, r.Min.X+(r.Dx()-width(fs.regular, name))/2, r.Min.Y+16, 0, tc, name)
	}
}

// rows is how many rows the current view has (for scrolling).
func (t *table) rows() int {
	switch t.view {
	case viewJobs:
		return len(t.jobs)
	case viewInstalled:
		return len(t.mods)
	case viewDevices:
		return len(t.deviceRows())
	}
	return len(t.procs)
}
