package policies

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

// Record is one denial in the audit log.
type Record struct {
	Time   time.Time `json:"time"`
	PID    uint32    `json:"pid"`
	Module string    `json:"module"`
	Op     string    `json:"op"`
	Object string    `json:"object"`
	Rule   string    `json:"rule"`
}

// DefaultAuditMax is the audit log's size cap; past it the log rotates to <path>.1, so at most
// twice this is kept on disk.
const DefaultAuditMax = 4 << 20

// Audit appends denial records as JSON lines to a bounded file. Safe for concurrent use; the
// file is opened on the first record.
type Audit struct {
	path string
	max  int64

	mu   sync.Mutex
	f    *os.File
	size int64
}

// OpenAudit returns the audit log at path, rotated past max bytes (DefaultAuditMax when <= 0).
func OpenAudit(path string, max int64) *Audit {
	if max <= 0 {
		max = DefaultAuditMax
	}
	return &Audit{path: path, max: max}
}

// Path is the log file's path.
func (a *Audit) Path() string { return a.path }

// Record appends r. Writing is best effort for the caller (a denial stands either way) but the
// error is returned so the kernel can log it.
func (a *Audit) Record(r Record) error {
	if r.Time.IsZero() {
		r.Time = time.Now()
	}
	line, err := json.Marshal(r)
	if err != nil {
		return err
	}
	line = append(line, '\n')
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.f == nil {
		if err := a.open(); err != nil {
			return err
		}
	}
	if a.size > 0 && a.size+int64(len(line)) > a.max {
		a.f.Close()
		a.f = nil
		if err := os.Rename(a.path, a.path+".1"); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("policies: rotate audit log: %w", err)
		}
		if err := a.open(); err != nil {
			return err
		}
	}
	n, err := a.f.Write(line)
	a.size += int64(n)
	return err
}

func (a *Audit) open() error {
	if err := os.MkdirAll(filepath.Dir(a.path), 0o700); err != nil {
		return fmt.Errorf("policies: audit log: %w", err)
	}
	f, err := os.OpenFile(a.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("policies: audit log: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	a.f, a.size = f, st.Size()
	return nil
}

// Close closes the file; a later Record reopens it.
func (a *Audit) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.f == nil {
		return nil
	}
	err := a.f.Close()
	a.f = nil
	return err
}

// AuditFile is the audit log of home.
func AuditFile(home string) string { return filepath.Join(home, "audit.log") }

// LastAudit returns the newest n records (0: all) of the log at path, oldest first; only
// module's when module is not "".
func LastAudit(path, module string, n int) ([]Record, error) {
	recs, err := ReadAudit(path)
	if err != nil {
		return nil, err
	}
	if module != "" {
		recs = slices.DeleteFunc(recs, func(r Record) bool { return r.Module != module })
	}
	if n > 0 && len(recs) > n {
		recs = recs[len(recs)-n:]
	}
	return recs, nil
}

// ReadAudit returns the records of the log at path, oldest first (the rotated file, then the
// current one). Lines that do not decode (a write cut short by a crash) are skipped.
func ReadAudit(path string) ([]Record, error) {
	var out []Record
	for _, p := range []string{path + ".1", path} {
		f, err := os.Open(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			var r Record
			if json.Unmarshal(sc.Bytes(), &r) == nil {
				out = append(out, r)
			}
		}
		err = sc.Err()
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("policies: read %s: %w", p, err)
		}
	}
	return out, nil
}
