package backup

import (
	"errors"
	"fmt"
	"path"
	"strings"
	"time"
)

// Format and Version name what this package writes and reads. A backup of a higher version is
// refused (ErrNewer) before anything else is read.
const (
	Format  = "orbital-backup"
	Version = 1
)

// The archive's own entries: the header first, the manifest last; every other entry is a file
// of the home, under its path relative to the home.
const (
	HeaderName   = ".orbital-backup/header.json"
	ManifestName = ".orbital-backup/manifest.json"
)

// Bounds on what a reader accepts: a backup within them is never refused for its size, a
// hostile one cannot make the reader hold or write more.
const (
	MaxFiles     = 1 << 20
	MaxFileSize  = 64 << 30
	MaxPathLen   = 4096
	MaxMetaBytes = 256 << 20 // header or manifest
)

// Errors. Each matches with errors.Is; messages say what failed and what to do.
var (
	ErrNotBackup = errors.New("backup: not an Orbital backup")
	ErrNewer     = errors.New("backup: made by a newer Orbital")
	ErrTruncated = errors.New("backup: truncated")
	ErrTampered  = errors.New("backup: does not match its manifest")
	ErrInvalid   = errors.New("backup: invalid entry")
	ErrNotEmpty  = errors.New("backup: home is not empty")
)

// Header is the archive's first entry.
type Header struct {
	Format   string    `json:"format"`
	Version  int       `json:"version"`
	Created  time.Time `json:"created"`
	Home     string    `json:"home"`      // the home it was taken of (informative)
	WithKeys bool      `json:"with_keys"` // publisher keys are in it
	Live     bool      `json:"live"`      // taken from a running instance
}

// File is one file of the manifest.
type File struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`         // hex
	Mode   uint32 `json:"mode"`           // permission bits
	Link   string `json:"link,omitempty"` // a hard link to this earlier file (same content)
}

// Manifest is the archive's last entry: every file, in archive order.
type Manifest struct {
	Files []File `json:"files"`
	Bytes int64  `json:"bytes"` // total size of the files' contents (links not counted twice)
}

// checkName validates an archive path: relative, clean, slash-separated, no "..", no empty
// or dot component, no backslash or NUL, and not one of the archive's own entries.
func checkName(name string) error {
	bad := func(why string) error { return fmt.Errorf("%w: path %q %s", ErrInvalid, name, why) }
	switch {
	case name == "" || len(name) > MaxPathLen:
		return bad("is empty or too long")
	case strings.HasPrefix(name, "/"):
		return bad("is absolute")
	case strings.ContainsAny(name, "\\\x00"):
		return bad("holds a backslash or NUL")
	case path.Clean(name) != name:
		return bad("is not clean")
	case strings.HasPrefix(name, ".orbital-backup/"):
		return bad("is reserved")
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." || part == "." || part == "" {
			return bad("has a '.' or '..' component")
		}
	}
	return nil
}
