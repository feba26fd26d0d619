package storage

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// DB is one module's namespace. Its methods are safe for concurrent use.
type DB struct {
	path  string
	bolt  *bolt.DB
	store *Store
	refs  int // guarded by store.mu

	idleSince uint64      // store.idleSeq at the last release (0: in use); guarded by store.mu
	idleTimer *time.Timer // closes it IdleClose after the last release; guarded by store.mu

	cache readCache // what Read found; exact (cache.go)
}

// Path is the namespace's file.
func (d *DB) Path() string { return d.path }

func checkKey(k []byte) error {
	if len(k) == 0 || len(k) > MaxKey {
		return fmt.Errorf("%w: a key is 1 to %d bytes, not %d", ErrInvalid, MaxKey, len(k))
	}
	return nil
}

// view and update run fn in a transaction; a panic inside bbolt (a damaged page) is the
// file's ErrCorrupt, not the instance's end.
func (d *DB) view(fn func(tx *bolt.Tx) error) (err error) {
	defer d.recoverCorrupt(&err)
	return d.bolt.View(fn)
}

// Every write is an update: the read cache is off during it and emptied after it.
func (d *DB) update(fn func(tx *bolt.Tx) error) (err error) {
	d.cache.beginWrite()
	defer d.cache.endWrite()
	defer d.recoverCorrupt(&err)
	err = d.bolt.Update(fn)
	if testHook != nil {
		testHook("committed")
	}
	return err
}

func (d *DB) recoverCorrupt(err *error) {
	if r := recover(); r != nil {
		*err = corrupt(d.path, fmt.Errorf("%v", r))
	}
}

// Get returns a copy of key's value.
func (d *DB) Get(key []byte) ([]byte, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	var out []byte
	err := d.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketKV).Get(key)
		if v == nil {
			return ErrNotFound
		}
		out = append([]byte(nil), v...)
		return nil
	})
	return out, err
}

// Read copies key's value into dst if it fits and returns its length either way: a value
// longer than dst is not copied (n > len(dst)). The hot path of a guest's kv_get: a value
// read before is served from the namespace's read cache (cache.go) without allocating, and
// otherwise read in a bbolt transaction.
func (d *DB) Read(key, dst []byte) (n int, err error) {
	if len(key) == 0 || len(key) > MaxKey {
		return 0, checkKey(key)
	}
	n, found, hit, gen := d.cache.lookup(key, dst)
	if !hit {
		var keep []byte
		if n, found, keep, err = d.read(key, dst); err != nil {
			return 0, err
		}
		if testHook != nil {
			testHook("read")
		}
		if keep != nil || !found { // a value too big to keep is read from the file each time
			d.cache.fill(gen, key, keep, found)
		}
	}
	if !found {
		return 0, ErrNotFound
	}
	return n, nil
}

// testHook, when a test sets it, runs at "read" (between Read's transaction and its cache
// fill) and at "committed" (between a write's commit and the end of its cache pause).
var testHook func(at string)

// read is Read from the file: keep is a copy of the value for the cache (nil when absent or
// too big to cache).
func (d *DB) read(key, dst []byte) (n int, found bool, keep []byte, err error) {
	defer d.recoverCorrupt(&err)
	tx, err := d.bolt.Begin(false) // as View does, without its closure
	if err != nil {
		return 0, false, nil, err
	}
	defer tx.Rollback()
	v := tx.Bucket(bucketKV).Get(key)
	if v == nil {
		return 0, false, nil, nil
	}
	if len(v) <= len(dst) {
		copy(dst, v)
	}
	if len(v) <= cacheMaxValue {
		keep = bytes.Clone(v)
	}
	return len(v), true, keep, nil
}

// Usage is the bytes of keys and values stored.
func (d *DB) Usage() (int64, error) {
	var n int64
	err := d.view(func(tx *bolt.Tx) error { n = usage(tx); return nil })
	return n, err
}

func usage(tx *bolt.Tx) int64 {
	if v := tx.Bucket(bucketMeta).Get(keyUsage); len(v) == 8 {
		return int64(binary.LittleEndian.Uint64(v))
	}
	return 0
}

func setUsage(tx *bolt.Tx, n int64) error {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(n))
	return tx.Bucket(bucketMeta).Put(keyUsage, b[:])
}

// Op is one operation of a batch: a put (Value non-nil) or a delete (Delete set).
type Op struct {
	Key    []byte
	Value  []byte
	Delete bool
}

// Put stores value under key. quota is the most bytes the namespace may hold (keys and
// values); a put that would go over it is ErrQuota and changes nothing.
func (d *DB) Put(key, value []byte, quota int64) error {
	return d.Batch([]Op{{Key: key, Value: value}}, quota)
}

// Delete removes key, reporting whether it was there.
func (d *DB) Delete(key []byte) (bool, error) {
	if err := checkKey(key); err != nil {
		return false, err
	}
	var found bool
	err := d.update(func(tx *bolt.Tx) error {
		kv := tx.Bucket(bucketKV)
		old := kv.Get(key)
		if old == nil {
			return nil
		}
		found = true
		n := usage(tx) - int64(len(key)+len(old))
		if err := kv.Delete(key); err != nil {
			return err
		}
		return setUsage(tx, max(n, 0))
	})
	return found, err
}

// Batch applies ops atomically: all of them, or (on any error, quota included) none.
func (d *DB) Batch(ops []Op, quota int64) error {
	if len(ops) > MaxBatchOps {
		return fmt.Errorf("%w: a batch holds at most %d operations, not %d", ErrTooBig, MaxBatchOps, len(ops))
	}
	total := 0
	for i, op := range ops {
		if err := checkKey(op.Key); err != nil {
			return fmt.Errorf("operation %d: %w", i, err)
		}
		if len(op.Value) > MaxValue {
			return fmt.Errorf("%w: operation %d: a value is at most %d bytes, not %d", ErrTooBig, i, MaxValue, len(op.Value))
		}
		total += len(op.Key) + len(op.Value)
	}
	if total > MaxBatchBytes {
		return fmt.Errorf("%w: a batch is at most %d bytes, not %d", ErrTooBig, MaxBatchBytes, total)
	}
	return d.update(func(tx *bolt.Tx) error {
		kv := tx.Bucket(bucketKV)
		n := usage(tx)
		for _, op := range ops {
			if old := kv.Get(op.Key); old != nil {
				n -= int64(len(op.Key) + len(old))
			}
			var err error
			if op.Delete {
				err = kv.Delete(op.Key)
			} else {
				n += int64(len(op.Key) + len(op.Value))
				err = kv.Put(op.Key, op.Value)
			}
			if err != nil {
				return err
			}
		}
		if n > quota && n > usage(tx) {
			return fmt.Errorf("%w: storing it would use %d bytes of a %d-byte quota (raise [storage] kv in the module's policy)", ErrQuota, n, quota)
		}
		return setUsage(tx, max(n, 0))
	})
}

// cursorTag starts every cursor List hands out.
var cursorTag = []byte("kv1:")

// List returns the keys starting with prefix, in order, after cursor (nil: from the start),
// as many as fit in budget bytes (each key counts its length plus 4); next is the cursor of
// the following page, nil at the end. A cursor that List did not make for this prefix is
// ErrInvalid.
func (d *DB) List(prefix, cursor []byte, budget int) (keys [][]byte, next []byte, err error) {
	if len(prefix) > MaxKey {
		return nil, nil, fmt.Errorf("%w: a prefix is at most %d bytes", ErrInvalid, MaxKey)
	}
	var after []byte
	if cursor != nil {
		after, err = parseCursor(prefix, cursor)
		if err != nil {
			return nil, nil, err
		}
	}
	err = d.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketKV).Cursor()
		k, _ := c.Seek(prefix)
		if after != nil {
			k, _ = c.Seek(after)
			if k != nil && bytes.Equal(k, after) {
				k, _ = c.Next()
			}
		}
		used := 0
		for ; k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			if used+len(k)+4 > budget {
				if len(keys) == 0 {
					return fmt.Errorf("%w: a buffer of %d bytes cannot hold the key of %d bytes", ErrTooBig, budget, len(k))
				}
				next = append(append([]byte(nil), cursorTag...), keys[len(keys)-1]...)
				return nil
			}
			used += len(k) + 4
			keys = append(keys, append([]byte(nil), k...))
		}
		return nil
	})
	return keys, next, err
}

func parseCursor(prefix, cursor []byte) ([]byte, error) {
	key, ok := bytes.CutPrefix(cursor, cursorTag)
	if !ok || len(key) == 0 || len(key) > MaxKey || !bytes.HasPrefix(key, prefix) {
		return nil, fmt.Errorf("%w: not a cursor from a listing of this prefix", ErrInvalid)
	}
	return key, nil
}
