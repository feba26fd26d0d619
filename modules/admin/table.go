package main

import (
	"fmt"
	"image"
	"sort"
	"strings"
	"time"
)

// proc is one row of sys.ps (admin.Proc on the host side, decoded from JSON).
type proc struct {
	PID       uint32      `json:"pid"`
	Name      string      `json:"name"`
	Version   string      `json:"version"`
	Kind      string      `json:"kind"`
	State     string      `json:"state"`
	StartedBy string      `json:"started_by"`
	Started   time.Time   `json:"started"`
	CPU       int64       `json:"cpu_ns"`
	CPUPct    float64     `json:"cpu_pct"`
	Memory    int64       `json:"memory"`
	Storage   int64       `json:"storage"`       // bytes in its key-value storage
	Quota     int64       `json:"storage_quota"` // what its policy grants (0: none)
	Inbox     int         `json:"inbox"`
	MsgsIn    uint64      `json:"msgs_in"`
	MsgsOut   uint64      `json:"msgs_out"`
	Drops     uint64      `json:"drops"`
	Restarts  int         `json:"restarts"`
	LastExit  string      `json:"last_exit"`
	Reload    string      `json:"reload"` // the last hot reload's outcome
	Grants    []string    `json:"grants"`
	Protected bool        `json:"protected"`
	Usage     []deviceUse `json:"usage"` // a driver's: what each process uses of it
}

// deviceUse is one process's use of a driver (admin.DeviceUse on the host side).
type deviceUse struct {
	PID    uint32           `json:"pid"`
	Name   string           `json:"name"`
	Values map[string]int64 `json:"values"`
}

// column is one column of the table: its title, width in pixels, how a row shows in it and how
// rows sort by it.
type column struct {
	title string
	width int
	right bool
	text  func(p proc, now time.Time) string
	less  func(a, b proc) bool
}

var columns = []column{
	{"PID", 44, true, func(p proc, _ time.Time) string { return fmt.Sprint(p.PID) }, func(a, b proc) bool { return a.PID < b.PID }},
	{"Name", 96, false, func(p proc, _ time.Time) string { return p.Name }, func(a, b proc) bool { return a.Name < b.Name }},
	{"Version", 52, false, func(p proc, _ time.Time) string { return dash(p.Version) }, func(a, b proc) bool { return a.Version < b.Version }},
	{"Kind", 44, false, func(p proc, _ time.Time) string { return p.Kind }, func(a, b proc) bool { return a.Kind < b.Kind }},
	{"State", 66, false, func(p proc, _ time.Time) string { return p.State }, func(a, b proc) bool { return a.State < b.State }},
	{"Uptime", 52, true, func(p proc, now time.Time) string { return duration(now.Sub(p.Started)) }, func(a, b proc) bool { return a.Started.After(b.Started) }},
	{"CPU", 48, true, func(p proc, _ time.Time) string { return duration(time.Duration(p.CPU)) }, func(a, b proc) bool { return a.CPU < b.CPU }},
	{"CPU%", 44, true, func(p proc, _ time.Time) string { return fmt.Sprintf("%.1f", p.CPUPct) }, func(a, b proc) bool { return a.CPUPct < b.CPUPct }},
	{"Memory", 64, true, func(p proc, _ time.Time) string { return bytesText(p.Memory) }, func(a, b proc) bool { return a.Memory < b.Memory }},
	{"Storage", 96, true, storageText, func(a, b proc) bool { return a.Storage < b.Storage }},
	{"Inbox", 40, true, func(p proc, _ time.Time) string { return fmt.Sprint(p.Inbox) }, func(a, b proc) bool { return a.Inbox < b.Inbox }},
	{"In", 36, true, func(p proc, _ time.Time) string { return fmt.Sprint(p.MsgsIn) }, func(a, b proc) bool { return a.MsgsIn < b.MsgsIn }},
	{"Out", 36, true, func(p proc, _ time.Time) string { return fmt.Sprint(p.MsgsOut) }, func(a, b proc) bool { return a.MsgsOut < b.MsgsOut }},
	{"Drops", 36, true, func(p proc, _ time.Time) string { return fmt.Sprint(p.Drops) }, func(a, b proc) bool { return a.Drops < b.Drops }},
	{"Restarts", 52, true, func(p proc, _ time.Time) string { return fmt.Sprint(p.Restarts) }, func(a, b proc) bool { return a.Restarts < b.Restarts }},
	{"Started by", 80, false, func(p proc, _ time.Time) string { return dash(p.StartedBy) }, func(a, b proc) bool { return a.StartedBy < b.StartedBy }},
	{"Last exit", 76, false, func(p proc, _ time.Time) string { return dash(p.LastExit) }, func(a, b proc) bool { return a.LastExit < b.LastExit }},
	{"Grants", 84, false, func(p proc, _ time.Time) string { return strings.Join(p.Grants, " ") }, func(a, b proc) bool { return len(a.Grants) < len(b.Grants) }},
}

// actions are the per-row buttons, right of the columns.
var actions = []string{"Stop", "Restart", "Reload", "Kill", "Logs"}

const (
	headerH  = 44 // the title bar
	colHeadH = 26
	rowH     = 24
	pad      = 8
	buttonW  = 44
	buttonH  = 18
	statusH  = 22 // the status line at the bottom
	logsH    = 150
)

// table is the panel's state: the rows, the sort order, scrolling, the selected log view.
type table struct {
	procs   []proc
	sortCol int
	desc    bool
	scroll  int    // first row shown
	logsPID uint32 // pid whose logs show at the bottom, 0 for none
	logs    []string
	status  string // the last action's result or error
	bad     bool   // status is an error
	// reloads are the reloads under way: pid -> the row's reload outcome before it, so the
	// next different one is shown in the status line.
	reloads map[uint32]string
	view    int      // viewProcs, viewJobs or viewInstalled (views.go)
	jobs    []job    // sys.jobs, while the Jobs view shows
	mods    []module // sys.installed, while the Installed view shows
	w, h    int
}

func (t *table) sort() {
	c := columns[t.sortCol]
	sort.SliceStable(t.procs, func(i, j int) bool {
		if t.desc {
			return c.less(t.procs[j], t.procs[i])
		}
		return c.less(t.procs[i], t.procs[j])
	})
}

// clickHeader sorts by column i, toggling the direction when it already sorts by it.
func (t *table) clickHeader(i int) {
	if t.sortCol == i {
		t.desc = !t.desc
	} else {
		t.sortCol, t.desc = i, false
	}
	t.sort()
}

// tableWidth is the width of the columns plus the action buttons.
func tableWidth() int {
	w := pad
	for _, c := range columns {
		w += c.width
	}
	return w + len(actions)*(buttonW+3) + pad
}

// columnAt returns the column under x in the header row, or -1.
func columnAt(x int) int {
	cx := pad
	for i, c := range columns {
		if x >= cx && x < cx+c.width {
			return i
		}
		cx += c.width
	}
	return -1
}

// visibleRows is how many rows fit between the column header and the status line (and the
// log pane when it is open).
func (t *table) visibleRows() int {
	h := t.h - headerH - colHeadH - statusH
	if t.logsPID != 0 {
		h -= logsH
	}
	if h < rowH {
		return 1
	}
	return h / rowH
}

// rowRect is the rectangle of the i-th visible row.
func (t *table) rowRect(i int) image.Rectangle {
	y := headerH + colHeadH + i*rowH
	return image.Rect(0, y, t.w, y+rowH)
}

// buttonRect is the rectangle of action a in visible row i.
func (t *table) buttonRect(i, a int) image.Rectangle {
	x := pad
	for _, c := range columns {
		x += c.width
	}
	x += a * (buttonW + 3)
	r := t.rowRect(i)
	y := r.Min.Y + (rowH-buttonH)/2
	return image.Rect(x, y, x+buttonW, y+buttonH)
}

// hit says what a click at (x, y) means.
type hit struct {
	header int    // column header clicked, or -1
	tab    int    // view tab clicked, or -1
	pid    uint32 // the row's pid when a button was clicked
	action string // "Stop", "Restart", "Reload", "Kill", "Logs", "Start", or "" for none
	name   string // the module to start, for "Start"
}

func (t *table) hitTest(x, y int) hit {
	h := hit{header: -1, tab: -1}
	for i := range tabs {
		if image.Pt(x, y).In(t.tabRect(i)) {
			h.tab = i
			return h
		}
	}
	if t.view != viewProcs {
		if h.name = t.hitList(x, y); h.name != "" {
			h.action = "Start"
		}
		return h
	}
	if y >= headerH && y < headerH+colHeadH {
		h.header = columnAt(x)
		return h
	}
	for i := 0; i < t.visibleRows() && t.scroll+i < len(t.procs); i++ {
		p := t.procs[t.scroll+i]
		for a, name := range actions {
			if image.Pt(x, y).In(t.buttonRect(i, a)) {
				if p.Protected && name != "Logs" {
					return h
				}
				h.pid, h.action = p.PID, name
				return h
			}
		}
	}
	return h
}

// scrollBy moves the first visible row, within bounds.
func (t *table) scrollBy(n int) {
	t.scroll += n
	if max := t.rows() - t.visibleRows(); t.scroll > max {
		t.scroll = max
	}
	if t.scroll < 0 {
		t.scroll = 0
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func duration(d time.Duration) string {
	switch {
	case d < 0:
		return "-"
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}

func bytesText(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%dB", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1fKiB", float64(n)/(1<<10))
	case n < 1<<30:
		return fmt.Sprintf("%.1fMiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.1fGiB", float64(n)/(1<<30))
}

// watchReload remembers pid's reload outcome as it is now, to show the next one.
func (t *table) watchReload(pid uint32) {
	if t.reloads == nil {
		t.reloads = map[uint32]string{}
	}
	t.reloads[pid] = ""
	for _, p := range t.procs {
		if p.PID == pid {
			t.reloads[pid] = p.Reload
		}
	}
}

// noteReloads shows a watched reload's outcome once the rows have a new one.
func (t *table) noteReloads() {
	for pid, before := range t.reloads {
		for _, p := range t.procs {
			if p.PID == pid && p.Reload != before {
				t.setStatus(strings.HasPrefix(p.Reload, "rolled back"), "pid %d: %s", pid, p.Reload)
				delete(t.reloads, pid)
			}
		}
	}
}

func (t *table) setStatus(bad bool, format string, args ...any) {
	t.status, t.bad = fmt.Sprintf(format, args...), bad
}

// storageText is the Storage column: used / quota, "-" for a module without storage.
func storageText(p proc, _ time.Time) string {
	if p.Quota <= 0 && p.Storage <= 0 {
		return "-"
	}
	q := "none"
	if p.Quota > 0 {
		q = bytesText(p.Quota)
	}
	return bytesText(p.Storage) + "/" + q
}
