package admin

import (
	"errors"
	"time"
)

// Proc is one row of the panel: a running (or recently ended) module or driver.
type Proc struct {
	Node      string        `json:"node,omitempty"` // the cluster node it runs on (orbital ps --cluster)
	PID       uint32        `json:"pid"`
	Name      string        `json:"name"`
	Version   string        `json:"version"`
	Kind      string        `json:"kind"`  // app, service, library, driver
	State     string        `json:"state"` // starting, running, blocked, exited, crashed
	StartedBy string        `json:"started_by"`
	Started   time.Time     `json:"started"`
	CPU       time.Duration `json:"cpu_ns"`
	CPUPct    float64       `json:"cpu_pct"`
	Memory    int64         `json:"memory"`
	// Storage is the bytes the module keeps in its key-value storage, StorageQuota what its
	// policy grants (0: none).
	Storage      int64    `json:"storage"`
	StorageQuota int64    `json:"storage_quota"`
	Inbox        int      `json:"inbox"`
	MsgsIn       uint64   `json:"msgs_in"`
	MsgsOut      uint64   `json:"msgs_out"`
	Drops        uint64   `json:"drops"`
	Restarts     int      `json:"restarts"`
	LastExit     string   `json:"last_exit"`
	Reload       string   `json:"reload,omitempty"` // the last hot reload's outcome, one line
	Grants       []string `json:"grants"`
	Protected    bool     `json:"protected"` // the shell or a system driver: no stop/kill from the panel
	// Usage is, on a driver's row, what each process uses of it as the driver reports it (the
	// GPU driver: gpu_memory bytes, dispatches, draws, gpu_ms, refused, abandoned, lost).
	Usage []DeviceUse `json:"usage,omitempty"`
}

// DeviceUse is one process's use of a driver.
type DeviceUse struct {
	PID    uint32           `json:"pid"`
	Name   string           `json:"name"`
	Values map[string]int64 `json:"values"`
}

// Uptime is how long the process has been running at now.
func (p Proc) Uptime(now time.Time) time.Duration {
	if p.Started.IsZero() {
		return 0
	}
	return now.Sub(p.Started).Truncate(time.Second)
}

// LogLine is one line of a module's log or WASI stdout/stderr.
type LogLine struct {
	Time   time.Time `json:"time"`
	Stream string    `json:"stream"` // log, stdout, stderr
	Level  string    `json:"level,omitempty"`
	Text   string    `json:"text"`
}

// Controller is what the panel needs from the kernel. Implementations must be safe for
// concurrent use and must answer even while a module hangs.
type Controller interface {
	Processes() []Proc
	// Stop asks the process to quit and kills it after a grace period.
	Stop(pid uint32) error
	// Kill ends the process now.
	Kill(pid uint32) error
	// Restart stops the process and starts the same module again with the same arguments.
	Restart(pid uint32) error
	// Logs returns up to max of the newest log lines of pid, oldest first.
	Logs(pid uint32, max int) ([]LogLine, error)
}

// Errors a Controller returns; the panel maps them to HTTP status codes and messages.
var (
	// ErrNoProcess: the pid is not running (it may have exited in the meantime).
	ErrNoProcess = errors.New("no such process")
	// ErrProtected: the shell itself or a system driver cannot be stopped from the panel.
	ErrProtected = errors.New("protected process")
)

// StorageText is the storage column: "12.0KiB / 16.0MiB", "-" for a module without storage.
func (p Proc) StorageText() string {
	if p.StorageQuota <= 0 && p.Storage <= 0 {
		return "-"
	}
	q := "none"
	if p.StorageQuota > 0 {
		q = FormatBytes(p.StorageQuota)
	}
	return FormatBytes(p.Storage) + " / " + q
}
