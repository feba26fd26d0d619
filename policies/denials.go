package policies

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

// Denials remembers what the user answered "Deny" to in the shell's permission prompt, so a
// module is asked once, not every time the shell starts: the issue's "the first time a module
// asks for more than policy grants". An entry is for one module version (its digest): a new
// version asks again. `orbital policy explain` shows the entries and `orbital policy forget`
// removes them. The file, $ORBITAL_HOME/state/denied.json, is JSON written atomically (a
// temporary file renamed over it); a missing file is no denials, and a damaged one is an error
// naming it (the shell then asks as if nothing had been denied, and says why).
type Denials struct {
	path string
	mu   sync.Mutex
	list []Denial
}

// Denial is one "Deny" answer.
type Denial struct {
	Module string    `json:"module"`
	Digest string    `json:"digest"` // sha256 of the module's bytes
	Lines  []string  `json:"lines"`  // what it asked for, as the prompt listed it
	Time   time.Time `json:"time"`
}

// DenialsFile is where a home keeps its denials.
func DenialsFile(home string) string { return filepath.Join(home, "state", "denied.json") }

// OpenDenials reads home's denials. The result is usable even with an error (empty).
func OpenDenials(home string) (*Denials, error) {
	d := &Denials{path: DenialsFile(home)}
	b, err := os.ReadFile(d.path)
	if errors.Is(err, os.ErrNotExist) {
		return d, nil
	}
	if err != nil {
		return d, fmt.Errorf("policies: read %s: %w", d.path, err)
	}
	if err := json.Unmarshal(b, &d.list); err != nil {
		d.list = nil
		return d, fmt.Errorf("policies: %s is damaged (%v); delete it to start over", d.path, err)
	}
	return d, nil
}

// Denied returns the entry for module at digest, if the user denied it.
func (d *Denials) Denied(module, digest string) (Denial, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, e := range d.list {
		if e.Module == module && e.Digest == digest {
			return e, true
		}
	}
	return Denial{}, false
}

// For returns every entry for module (any version).
func (d *Denials) For(module string) []Denial {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []Denial
	for _, e := range d.list {
		if e.Module == module {
			out = append(out, e)
		}
	}
	return out
}

// Add records a denial (replacing one for the same module and digest) and saves the file.
func (d *Denials) Add(e Denial) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.list = slices.DeleteFunc(d.list, func(x Denial) bool { return x.Module == e.Module && x.Digest == e.Digest })
	d.list = append(d.list, e)
	return d.saveLocked()
}

// Forget removes every entry for module and saves the file; it returns how many there were.
func (d *Denials) Forget(module string) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := len(d.list)
	d.list = slices.DeleteFunc(d.list, func(x Denial) bool { return x.Module == module })
	if n == len(d.list) {
		return 0, nil
	}
	return n - len(d.list), d.saveLocked()
}

func (d *Denials) saveLocked() error {
	b, err := json.MarshalIndent(d.list, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(d.path), 0o755); err != nil {
		return fmt.Errorf("policies: save denials: %w", err)
	}
	tmp := d.path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("policies: save denials: %w", err)
	}
	if err := os.Rename(tmp, d.path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("policies: save denials: %w", err)
	}
	return nil
}
