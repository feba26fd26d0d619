package backup

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// RestoreOptions tune Restore.
type RestoreOptions struct {
	// Force replaces a home that is not empty (its old content is removed once the restored
	// one is in place).
	Force bool
	// Verifying and Restoring hear the bytes of the archive file read so far in each pass;
	// total is the archive's size. May be nil.
	Verifying, Restoring func(done, total int64)
}

// Restore puts the backup in file archive into home. It reads the archive twice: the first
// pass checks every digest and writes nothing; the second writes the files into a staging
// directory beside home (checking them again), which then takes home's place by rename. Any
// failure leaves home as it was. home must not exist or be empty, unless opts.Force.
func Restore(archive, home string, opts RestoreOptions) (*Header, *Manifest, error) {
	home = filepath.Clean(home)
	empty, err := isEmpty(home)
	if err != nil {
		return nil, nil, err
	}
	if !empty && !opts.Force {
		return nil, nil, fmt.Errorf("%w: %s holds files; restore into an empty or new directory, or pass --force to replace it", ErrNotEmpty, home)
	}
	if _, _, err := pass(archive, opts.Verifying, nil); err != nil {
		return nil, nil, err
	}
	parent := filepath.Dir(home)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, nil, fmt.Errorf("backup: %w", err)
	}
	stage, err := os.MkdirTemp(parent, "."+filepath.Base(home)+".restore-")
	if err != nil {
		return nil, nil, fmt.Errorf("backup: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(stage)
		}
	}()
	h, m, err := pass(archive, opts.Restoring, extractTo(stage))
	if err != nil {
		return nil, nil, err
	}
	if err := syncDir(stage); err != nil {
		return nil, nil, err
	}
	if err := swap(stage, home, empty); err != nil {
		return nil, nil, err
	}
	ok = true
	return h, m, nil
}

// pass reads the archive file once, through put when not nil.
func pass(archive string, progress func(done, total int64), put sink) (*Header, *Manifest, error) {
	f, err := os.Open(archive)
	if err != nil {
		return nil, nil, fmt.Errorf("backup: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("backup: %w", err)
	}
	var r io.Reader = f
	if progress != nil {
		r = &fileProgress{r: f, total: st.Size(), fn: progress}
	}
	return walk(r, nil, put)
}

type fileProgress struct {
	r     io.Reader
	n     int64
	total int64
	fn    func(done, total int64)
}

func (p *fileProgress) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.n += int64(n)
	p.fn(p.n, p.total)
	return n, err
}

// extractTo writes each file under dir, synced; links become hard links.
func extractTo(dir string) sink {
	return func(f File, content io.Reader) error {
		dst := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
			return fmt.Errorf("backup: %w", err)
		}
		if f.Link != "" {
			return os.Link(filepath.Join(dir, filepath.FromSlash(f.Link)), dst)
		}
		mode := os.FileMode(f.Mode) &^ 0o022 // never group- or world-writable
		if mode == 0 {
			mode = 0o600
		}
		out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
		if err != nil {
			return fmt.Errorf("backup: %w", err)
		}
		_, err = io.Copy(out, content)
		if err == nil {
			err = out.Sync()
		}
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("backup: write %s: %w", f.Path, err)
		}
		return nil
	}
}

// swap puts stage in home's place: a missing or empty home is replaced directly; a full one
// (--force) is moved aside first and removed once stage is in place, or moved back if that
// fails.
func swap(stage, home string, empty bool) error {
	if err := os.Chmod(stage, 0o755); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	var aside string
	if _, err := os.Lstat(home); err == nil {
		if empty {
			if err := os.Remove(home); err != nil {
				return fmt.Errorf("backup: %w", err)
			}
		} else {
			aside = home + ".replaced-" + strconv.FormatInt(time.Now().UnixNano(), 36)
			if err := os.Rename(home, aside); err != nil {
				return fmt.Errorf("backup: move the old home aside: %w", err)
			}
		}
	}
	if err := os.Rename(stage, home); err != nil {
		if aside != "" {
			os.Rename(aside, home)
		}
		return fmt.Errorf("backup: %w", err)
	}
	syncDir(filepath.Dir(home))
	if aside != "" {
		if err := os.RemoveAll(aside); err != nil {
			return fmt.Errorf("backup: restored, but the old home stays at %s: %w", aside, err)
		}
	}
	return nil
}

// isEmpty reports whether dir is missing or an empty directory.
func isEmpty(dir string) (bool, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("backup: %w", err)
	}
	return len(ents) == 0, nil
}

// syncDir fsyncs every directory under root (the files were synced as written).
func syncDir(root string) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		return f.Sync()
	})
}
