package shell

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// maxHistory is how many URL bar entries are kept, newest last.
const maxHistory = 500

// History is the URL bar's list of opened entries with browser-style Up/Down browsing. It is
// kept in a file (one entry a line) under $ORBITAL_HOME/shell/history; the file is rewritten
// atomically (temp file + rename) so a crash never leaves half a history. Pure Go; used only
// on the main thread.
type History struct {
	path    string // "" keeps history in memory only
	entries []string
	pos     int    // index being shown while browsing; len(entries) = not browsing
	draft   string // what the user had typed before pressing Up
}

// LoadHistory reads the history file at path (a missing file is an empty history).
func LoadHistory(path string) (*History, error) {
	h := &History{path: path}
	if path == "" {
		return h, nil
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return h, nil
	}
	if err != nil {
		return h, fmt.Errorf("shell: read history: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" {
			h.entries = append(h.entries, line)
		}
	}
	if len(h.entries) > maxHistory {
		h.entries = h.entries[len(h.entries)-maxHistory:]
	}
	h.pos = len(h.entries)
	if err := sc.Err(); err != nil {
		return h, fmt.Errorf("shell: read history %s: %w", path, err)
	}
	return h, nil
}

// Entries returns the entries, oldest first.
func (h *History) Entries() []string { return append([]string(nil), h.entries...) }

// Add appends an entry (an immediate repeat of the last one is not stored twice), ends
// browsing and saves the file.
func (h *History) Add(entry string) error {
	entry = strings.TrimSpace(sanitize(entry))
	h.pos = len(h.entries)
	if entry == "" || (len(h.entries) > 0 && h.entries[len(h.entries)-1] == entry) {
		return nil
	}
	h.entries = append(h.entries, entry)
	if len(h.entries) > maxHistory {
		h.entries = h.entries[len(h.entries)-maxHistory:]
	}
	h.pos = len(h.entries)
	return h.save()
}

// Prev steps back in history (Up). current is the bar's text, kept as the draft when browsing
// starts. It returns the text to show and false when there is nothing older.
func (h *History) Prev(current string) (string, bool) {
	if h.pos == 0 {
		return "", false
	}
	if h.pos == len(h.entries) {
		h.draft = current
	}
	h.pos--
	return h.entries[h.pos], true
}

// Next steps forward (Down); past the newest entry it gives back the draft.
func (h *History) Next() (string, bool) {
	if h.pos >= len(h.entries) {
		return "", false
	}
	h.pos++
	if h.pos == len(h.entries) {
		return h.draft, true
	}
	return h.entries[h.pos], true
}

// Reset ends browsing (the user typed or pressed Escape).
func (h *History) Reset() { h.pos = len(h.entries) }

func (h *History) save() error {
	if h.path == "" {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(h.path), 0o755); err != nil {
		return fmt.Errorf("shell: save history: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(h.path), ".history-*")
	if err != nil {
		return fmt.Errorf("shell: save history: %w", err)
	}
	w := bufio.NewWriter(tmp)
	for _, e := range h.entries {
		w.WriteString(e)
		w.WriteByte('\n')
	}
	err = w.Flush()
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), h.path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("shell: save history %s: %w", h.path, err)
	}
	return nil
}
