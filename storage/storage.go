package storage

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Limits of one namespace's keys, values and batches.
const (
	MaxKey        = 1024
	MaxValue      = 1 << 20
	MaxBatchOps   = 1000
	MaxBatchBytes = 8 << 20
)

// Errors. Each matches with errors.Is; the messages say what to do.
var (
	ErrNotFound = errors.New("storage: no such key")
	ErrQuota    = errors.New("storage: over quota")
	ErrTooBig   = errors.New("storage: too big")
	ErrInvalid  = errors.New("storage: invalid")
	ErrCorrupt  = errors.New("storage: damaged")
	ErrClosed   = errors.New("storage: closed")
)

// Store holds the namespaces of one Orbital home, each opened on first use.
type Store struct {
	dir string

	mu      sync.Mutex
	open    map[string]*DB
	idleSeq uint64 // orders releases, for closing the least recently used idle file
	closed  bool
}

// Open returns the store kept in dir ($ORBITAL_HOME/storage). It opens nothing yet.
func Open(dir string) *Store { return &Store{dir: dir, open: map[string]*DB{}} }

// Dir is where the namespaces live.
func (s *Store) Dir() string { return s.dir }

var safeName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// Path is the file of the namespace of module (by name) from publisher ("" for unsigned
// modules and bare .wasm files).
func (s *Store) Path(module, publisher string) string {
	pub := "local"
	if publisher != "" {
		sum := sha256.Sum256([]byte(publisher))
		pub = "pub-" + hex.EncodeToString(sum[:8])
	}
	name := module
	if !safeName.MatchString(name) {
		sum := sha256.Sum256([]byte(module))
		name = "x-" + hex.EncodeToString(sum[:16])
	}
	return filepath.Join(s.dir, pub, name+".db")
}

// DB opens the namespace of module from publisher, creating it on first use, and counts one
// more user: call Release when done. A damaged file is ErrCorrupt, naming it.
func (s *Store) DB(module, publisher string) (*DB, error) {
	return s.dbAt(s.Path(module, publisher))
}

// dbAt opens the namespace file p (a Path), counting one more user.
func (s *Store) dbAt(p string) (*DB, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	if d, ok := s.open[p]; ok {
		if d.refs == 0 && d.idleTimer != nil {
			d.idleTimer.Stop()
			d.idleSince = 0
		}
		d.refs++
		return d, nil
	}
	d, err := openDB(p)
	if err != nil {
		return nil, err
	}
	d.store, d.refs = s, 1
	s.open[p] = d
	return d, nil
}

// Exists reports whether module from publisher has stored anything yet.
func (s *Store) Exists(module, publisher string) bool {
	_, err := os.Stat(s.Path(module, publisher))
	return err == nil
}

// Close closes every open namespace; later DB calls fail with ErrClosed. Twice is harmless.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	var errs []error
	for p, d := range s.open {
		if d.idleTimer != nil {
			d.idleTimer.Stop()
		}
		d.cache.close()
		errs = append(errs, d.bolt.Close())
		delete(s.open, p)
	}
	return errors.Join(errs...)
}

// A namespace no process uses stays open for IdleClose, so a module started again soon (a
// schedule, a service started on demand) does not pay for opening and checking its file; at
// most MaxIdle stay open so. Closing it after that lets another Orbital process on the home
// (orbital run beside orbital up) open it: bbolt locks a file to one process.
const (
	MaxIdle   = 64
	IdleClose = 2 * time.Second
)

// Release gives back one use of d. A namespace no one uses stays open until MaxIdle others
// are idle after it; then the least recently used idle file is closed.
func (d *DB) Release() {
	s := d.store
	s.mu.Lock()
	defer s.mu.Unlock()
	d.refs--
	if d.refs > 0 || s.open[d.path] != d {
		return
	}
	d.cache.drop() // an idle namespace holds no cache
	s.idleSeq++
	d.idleSince = s.idleSeq
	seq := d.idleSince
	d.idleTimer = time.AfterFunc(IdleClose, func() { s.closeIdle(d, seq) })
	var idle []*DB
	for _, o := range s.open {
		if o.refs == 0 {
			idle = append(idle, o)
		}
	}
	for len(idle) > MaxIdle {
		oldest := 0
		for i, o := range idle {
			if o.idleSince < idle[oldest].idleSince {
				oldest = i
			}
		}
		s.closeLocked(idle[oldest])
		idle = append(idle[:oldest], idle[oldest+1:]...)
	}
}

// closeIdle closes d if it is still idle since release seq.
func (s *Store) closeIdle(d *DB, seq uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d.refs == 0 && d.idleSince == seq && s.open[d.path] == d {
		s.closeLocked(d)
	}
}

func (s *Store) closeLocked(d *DB) {
	if d.idleTimer != nil {
		d.idleTimer.Stop()
	}
	delete(s.open, d.path)
	d.cache.close()
	d.bolt.Close()
}

var (
	bucketKV   = []byte("kv")
	bucketMeta = []byte("meta")
	keyUsage   = []byte("usage")
	keyFormat  = []byte("format")
)

const format = "orbital-kv-1"

// openDB opens (or creates) one namespace file and checks it.
func openDB(path string) (d *DB, err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	defer func() {
		if r := recover(); r != nil {
			d, err = nil, corrupt(path, fmt.Errorf("%v", r))
		}
	}()
	b, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		if errors.Is(err, bolt.ErrTimeout) {
			return nil, fmt.Errorf("storage: %s is in use by another Orbital process (another instance on this home?)", path)
		}
		return nil, corrupt(path, err)
	}
	// A file already in the current format is checked read-only; a new one gets its buckets.
	err = b.View(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta == nil || tx.Bucket(bucketKV) == nil {
			return errNew
		}
		if f := meta.Get(keyFormat); string(f) != format {
			return fmt.Errorf("written in format %q, which this Orbital does not read (it reads %q)", f, format)
		}
		for err := range tx.Check() {
			return err
		}
		return nil
	})
	if err == errNew {
		err = initDB(b)
	}
	if err != nil {
		b.Close()
		return nil, corrupt(path, err)
	}
	return &DB{path: path, bolt: b}, nil
}

var errNew = errors.New("new file")

// initDB makes the buckets of a new namespace file.
func initDB(b *bolt.DB) error {
	return b.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		if _, err := tx.CreateBucketIfNotExists(bucketKV); err != nil {
			return err
		}
		switch f := meta.Get(keyFormat); {
		case f == nil:
			return meta.Put(keyFormat, []byte(format))
		case string(f) != format:
			return fmt.Errorf("written in format %q, which this Orbital does not read (it reads %q)", f, format)
		}
		return nil
	})
}

func corrupt(path string, err error) error {
	return fmt.Errorf("%w: %s cannot be read (%v); the other modules keep their data. Move it away to start this module afresh, or restore it from a backup (orbital restore)", ErrCorrupt, path, err)
}
