package system

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/orbital/orbital/admin"
	"github.com/orbital/orbital/backup"
	"github.com/orbital/orbital/storage"
	bolt "go.etcd.io/bbolt"
)

// Backup and restore of a whole home (`orbital backup`, `orbital restore`; design:
// docs/design/backup.md). What changes while an instance runs is copied first into a snapshot
// directory under run/: the modules' storage by the running instance itself (one bbolt read
// transaction per namespace, through the control socket), the registry's state by a read
// transaction whose shared lock is held until the archive is written (so no install commits
// meanwhile, and the blobs and version directories the state names stay as they are), and the
// small files (policies, denials, audit log, config, WASM-4 disks, data/) by copying. Without
// an instance the command takes the home's lock itself, so none starts halfway.

// BackupOptions tune Backup.
type BackupOptions struct {
	WithKeys bool                    // include keys/ (the publisher's signing key)
	Progress func(done, total int64) // bytes of file content written; may be nil
	Warn     func(msg string)        // something kept as it was (a damaged storage file); may be nil
}

// Backup writes a backup of home to the file out (via a temporary file renamed into place, so
// a failed backup leaves no file).
func Backup(ctx context.Context, home, out string, o BackupOptions) (*backup.Manifest, error) {
	if o.Warn == nil {
		o.Warn = func(string) {}
	}
	if _, err := os.Stat(home); err != nil {
		return nil, fmt.Errorf("backup: home %w", err)
	}
	run := filepath.Join(home, "run")
	if err := os.MkdirAll(run, 0o700); err != nil {
		return nil, err
	}
	snap, err := os.MkdirTemp(run, "backup-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(snap)
	live, release, err := snapshotModules(ctx, home, snap, o.Warn)
	if err != nil {
		return nil, err
	}
	defer release()
	unlockRegistry, err := snapshotRegistry(home, snap)
	if err != nil {
		return nil, err
	}
	defer unlockRegistry()
	srcs, err := backupSources(home, snap, o.WithKeys)
	if err != nil {
		return nil, err
	}
	return writeArchive(out, backup.Header{Home: home, WithKeys: o.WithKeys, Live: live}, srcs, o.Progress)
}

// snapshotModules copies the storage namespaces into snap/storage: through the running
// instance when there is one, else itself under the home's lock (released by release).
func snapshotModules(ctx context.Context, home, snap string, warn func(string)) (live bool, release func(), err error) {
	dst := filepath.Join(snap, "storage")
	cctx, cancel := context.WithTimeout(ctx, admin.SnapshotTimeout)
	defer cancel()
	rep, err := admin.ControlClient{Path: admin.ControlSocketPath(home)}.KV(cctx, admin.KVRequest{Op: "snapshot", Dir: dst})
	if err == nil {
		for _, w := range rep.Warnings {
			warn(w)
		}
		return true, func() {}, nil
	}
	if !errors.Is(err, admin.ErrNotRunning) {
		return false, nil, fmt.Errorf("backup: the running instance could not copy the storage: %w", err)
	}
	l, err := lockHome(home)
	if err != nil {
		return false, nil, fmt.Errorf("backup: %w", err)
	}
	st := storage.Open(StorageDir(home))
	_, warnings, err := st.Snapshot(dst)
	st.Close()
	for _, w := range warnings {
		warn(w)
	}
	if err != nil {
		l.release()
		return false, nil, err
	}
	return false, l.release, nil
}

// snapshotStorage is the instance's side of a snapshot: dir must be a fresh directory under
// the home's run/ (where Backup makes it).
func snapshotStorage(home string, st *storage.Store, dir string) (admin.KVReply, error) {
	run := filepath.Join(home, "run") + string(filepath.Separator)
	if !strings.HasPrefix(filepath.Clean(dir), run) {
		return admin.KVReply{}, fmt.Errorf("snapshot: %s is not under %s", dir, run)
	}
	files, warnings, err := st.Snapshot(dir)
	return admin.KVReply{Keys: files, Warnings: warnings}, err
}

// snapshotRegistry copies registry/state.db into snap with a read transaction and keeps the
// shared lock until unlock, so no install commits while the archive is written.
func snapshotRegistry(home, snap string) (unlock func(), err error) {
	p := filepath.Join(home, "registry", "state.db")
	if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
		return func() {}, nil
	}
	db, err := bolt.Open(p, 0o600, &bolt.Options{ReadOnly: true, Timeout: 30 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("backup: registry state %s: %w", p, err)
	}
	dst := filepath.Join(snap, "registry", "state.db")
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		db.Close()
		return nil, err
	}
	if err := db.View(func(tx *bolt.Tx) error { return tx.CopyFile(dst, 0o600) }); err != nil {
		db.Close()
		return nil, fmt.Errorf("backup: registry state: %w", err)
	}
	return func() { db.Close() }, nil
}

// What a backup holds, relative to the home. Copied first: files that change in place.
// Read where they are: files the home never rewrites (content-addressed blobs, installed
// versions, keys). Never: run/ (this boot's sockets and URLs), cache/ (compiled code, made
// again), registry/index.bleve (rebuilt from the state), registry/staging.
var (
	copiedFirst = []string{"config.toml", "audit.log", "state", "policies", "registry/trusted.toml", "wasm4", "data", "modules"}
	readInPlace = []string{"registry/blobs", "registry/modules"}
)

func backupSources(home, snap string, withKeys bool) ([]backup.Source, error) {
	for _, rel := range copiedFirst {
		if err := copyTree(filepath.Join(home, rel), filepath.Join(snap, rel)); err != nil {
			return nil, fmt.Errorf("backup: %w", err)
		}
	}
	var srcs []backup.Source
	add := func(root, rel string) error {
		return walkFiles(filepath.Join(root, rel), func(p string) error {
			name, _ := filepath.Rel(root, p)
			srcs = append(srcs, backup.Source{Name: filepath.ToSlash(name), Path: p})
			return nil
		})
	}
	if err := add(snap, "."); err != nil {
		return nil, err
	}
	in := append([]string(nil), readInPlace...)
	if withKeys {
		in = append(in, "keys")
	}
	for _, rel := range in {
		if err := add(home, rel); err != nil {
			return nil, err
		}
	}
	return srcs, nil
}

// walkFiles calls fn for each regular file under root (missing root: none). Symlinks and
// special files are skipped: a backup holds files.
func walkFiles(root string, fn func(path string) error) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && p == root {
			return nil
		}
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			return fn(p)
		}
		return nil
	})
}

// copyTree copies the regular files under src (a file or a directory) to dst.
func copyTree(src, dst string) error {
	return walkFiles(src, func(p string) error {
		rel, _ := filepath.Rel(src, p)
		out := filepath.Join(dst, rel)
		if err := os.MkdirAll(filepath.Dir(out), 0o700); err != nil {
			return err
		}
		return copyFile(p, out)
	})
}

func copyFile(src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	mode := os.FileMode(0o600)
	if st, err := os.Stat(src); err == nil {
		mode = st.Mode().Perm()
	}
	return os.WriteFile(dst, data, mode)
}

// writeArchive writes the backup to a temporary file beside out, syncs it and renames it.
func writeArchive(out string, h backup.Header, srcs []backup.Source, progress func(done, total int64)) (*backup.Manifest, error) {
	total := contentBytes(srcs)
	f, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".tmp-")
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	defer os.Remove(f.Name())
	var fn backup.Progress
	if progress != nil {
		fn = func(done int64) { progress(done, total) }
	}
	m, err := backup.Write(f, h, srcs, fn)
	if err == nil {
		err = f.Chmod(0o600)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), out)
	}
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	return m, nil
}

// contentBytes is what Write will copy: each inode once.
func contentBytes(srcs []backup.Source) int64 {
	seen := map[[2]uint64]bool{}
	var n int64
	for _, s := range srcs {
		st, err := os.Stat(s.Path)
		if err != nil {
			continue
		}
		if sys, ok := st.Sys().(*syscall.Stat_t); ok {
			k := [2]uint64{uint64(sys.Dev), sys.Ino}
			if seen[k] {
				continue
			}
			seen[k] = true
		}
		n += st.Size()
	}
	return n
}

// Restore puts the backup in archive into home (see backup.Restore), refusing while an
// instance runs on home.
func Restore(home, archive string, o backup.RestoreOptions) (*backup.Header, *backup.Manifest, error) {
	if err := homeInUse(home); err != nil {
		return nil, nil, fmt.Errorf("restore: %w", err)
	}
	return backup.Restore(archive, home, o)
}

// homeInUse reports a *LockedError when a process holds home's instance lock. It creates
// nothing (a restore target may not exist yet).
func homeInUse(home string) error {
	f, err := os.Open(LockFile(home))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return &LockedError{Home: home, PID: LockHolder(home)}
		}
		return err
	}
	return syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
}
