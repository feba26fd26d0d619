package kernel

import (
	"encoding/binary"
	"errors"

	"github.com/orbital/orbital/policies"
	"github.com/orbital/orbital/storage"
)

// The storage family of the host ABI (docs/abi.md, "Storage"): durable key-value storage, one
// namespace per module name and publisher (package storage), under the quota the module's
// policy grants ([storage] kv). Every call passes the storage door (audited on refusal; in the
// shell a module whose manifest requests storage is asked at the door). The quota is read
// from the live namespace on every write, so a policy edit applies at once. The namespace's
// file is opened on the process's first call and released when it ends.
func init() {
	registerHostFuncs(
		hostFunc{name: "kv_get", params: kinds(i32, i32, i32, i32), results: kinds(i32), i32: hostKVGet},
		hostFunc{name: "kv_put", params: kinds(i32, i32, i32, i32), results: kinds(i32), i32: hostKVPut},
		hostFunc{name: "kv_delete", params: kinds(i32, i32), results: kinds(i32), i32: hostKVDelete},
		hostFunc{name: "kv_list", params: kinds(i32, i32, i32, i32, i32, i32), results: kinds(i32), i32: hostKVList},
		hostFunc{name: "kv_batch", params: kinds(i32, i32), results: kinds(i32), i32: hostKVBatch},
	)
	registerErrorCode(storage.ErrNotFound, errNotFound)
	registerErrorCode(storage.ErrQuota, errLimit)
	registerErrorCode(storage.ErrTooBig, errTooBig)
	registerErrorCode(storage.ErrInvalid, errInvalid)
	registerErrorCode(storage.ErrClosed, errClosed)
}

type kvKey struct{}

// kvState is a process's open namespace (or why it could not be opened).
type kvState struct {
	db     *storage.DB
	err    error
	hinted bool // the refusal's hint was logged
}

// kv passes the storage door and returns the process's namespace and quota; code is non-zero
// when the call must return it.
func (c *call) kv() (db *storage.DB, quota int64, code int32) {
	p := c.p
	st := c.local(kvKey{}, func() any { return &kvState{} }).(*kvState)
	ns := p.k.Namespace(p.pid)
	if p.checkDoor(policies.OpStorage, "kv") != nil || ns == nil || ns.StorageQuota() <= 0 {
		if !st.hinted {
			st.hinted = true
			p.k.cfg.Log(p.pid, p.name, 2, "kv: storage denied: it needs `[storage] kv = \"<size>\"` in a policy file matching "+
				p.name+" (orbital policy explain "+p.name+"; orbital audit --module "+p.name+")")
		}
		return nil, 0, errDenied
	}
	if st.db == nil && st.err == nil {
		if p.k.cfg.Storage == nil {
			st.err = errors.New("this kernel has no storage")
		} else if st.db, st.err = p.k.cfg.Storage.DB(p.name, p.opts.Publisher); st.err == nil {
			db := st.db
			c.atExit(db.Release)
		}
		if st.err != nil {
			p.k.cfg.Log(p.pid, p.name, 3, "kv: "+st.err.Error())
		}
	}
	if st.err != nil {
		return nil, 0, kvCode(st.err)
	}
	return st.db, ns.StorageQuota(), 0
}

// kvCode maps a storage error: a damaged file is ERR_INTERNAL (logged by the caller).
func kvCode(err error) int32 {
	if errors.Is(err, storage.ErrCorrupt) {
		return errInternal
	}
	if code := codeOf(err); code != errInternal {
		return code
	}
	return errInternal
}

// kvErr logs a storage failure the guest cannot act on and returns its code.
func (c *call) kvErr(fn string, err error) int32 {
	code := kvCode(err)
	if code == errInternal {
		c.p.k.cfg.Log(c.p.pid, c.p.name, 3, fn+": "+err.Error())
	}
	return code
}

// kv_get(key_ptr, key_len, buf_ptr, buf_cap) -> value length | error
//
// buf_cap 0 returns the length only; a value longer than buf_cap is ERR_TOO_SMALL and writes
// nothing.
func hostKVGet(c *call, a rawArgs) int32 {
	m := c.mem()
	key, ok1 := span(m, a.I32(0), a.I32(1))
	buf, ok2 := span(m, a.I32(2), a.I32(3))
	if !ok1 || !ok2 {
		return errFault
	}
	db, _, code := c.kv()
	if code != 0 {
		return code
	}
	n, err := db.Read(key, buf) // copies straight into the guest's buffer, when it fits
	switch {
	case err != nil:
		return c.kvErr("kv_get", err)
	case len(buf) > 0 && n > len(buf):
		return errTooSmall
	}
	return int32(n)
}

// kv_put(key_ptr, key_len, val_ptr, val_len) -> 0 | error
func hostKVPut(c *call, a rawArgs) int32 {
	m := c.mem()
	key, ok1 := span(m, a.I32(0), a.I32(1))
	val, ok2 := span(m, a.I32(2), a.I32(3))
	if !ok1 || !ok2 {
		return errFault
	}
	db, quota, code := c.kv()
	if code != 0 {
		return code
	}
	var err error
	c.block(func() { err = db.Put(key, val, quota) }) // bbolt copies before it returns
	if err != nil {
		return c.kvErr("kv_put", err)
	}
	return 0
}

// kv_delete(key_ptr, key_len) -> 1 (deleted) | 0 (absent) | error
func hostKVDelete(c *call, a rawArgs) int32 {
	key, ok := c.bytes(a.I32(0), a.I32(1))
	if !ok {
		return errFault
	}
	db, _, code := c.kv()
	if code != 0 {
		return code
	}
	var found bool
	var err error
	c.block(func() { found, err = db.Delete(key) })
	switch {
	case err != nil:
		return c.kvErr("kv_delete", err)
	case found:
		return 1
	}
	return 0
}

// kv_list(prefix_ptr, prefix_len, cursor_ptr, cursor_len, buf_ptr, buf_cap) -> bytes written
//
// Writes u32 count, u32 next_len, the next cursor (next_len bytes; 0: the last page), then
// count keys as u32 length + bytes. cursor_len 0 starts at the first key.
func hostKVList(c *call, a rawArgs) int32 {
	m := c.mem()
	prefix, ok1 := span(m, a.I32(0), a.I32(1))
	cursor, ok2 := span(m, a.I32(2), a.I32(3))
	buf, ok3 := span(m, a.I32(4), a.I32(5))
	if !ok1 || !ok2 || !ok3 {
		return errFault
	}
	db, _, code := c.kv()
	if code != 0 {
		return code
	}
	if len(cursor) == 0 {
		cursor = nil
	}
	// The next cursor is at most 4+MaxKey bytes; what is left holds the keys.
	head := 8 + 4 + storage.MaxKey
	if len(buf) < head+4+1 {
		return errTooSmall
	}
	keys, next, err := db.List(append([]byte(nil), prefix...), append([]byte(nil), cursor...), len(buf)-head)
	if err != nil {
		if errors.Is(err, storage.ErrTooBig) {
			return errTooSmall
		}
		return c.kvErr("kv_list", err)
	}
	binary.LittleEndian.PutUint32(buf[0:], uint32(len(keys)))
	binary.LittleEndian.PutUint32(buf[4:], uint32(len(next)))
	n := 8 + copy(buf[8:], next)
	for _, k := range keys {
		binary.LittleEndian.PutUint32(buf[n:], uint32(len(k)))
		n += 4 + copy(buf[n+4:], k)
	}
	return int32(n)
}

// kv_batch(ops_ptr, ops_len) -> 0 | error
//
// ops: repeated u8 op (1 put, 2 delete), u32 key_len, key, and for a put u32 value_len,
// value. All or nothing.
func hostKVBatch(c *call, a rawArgs) int32 {
	raw, ok := c.bytes(a.I32(0), a.I32(1))
	if !ok {
		return errFault
	}
	if len(raw) > storage.MaxBatchBytes+storage.MaxBatchOps*9 {
		return errTooBig
	}
	ops, err := decodeBatch(raw)
	if err != nil {
		return errInvalid
	}
	db, quota, code := c.kv()
	if code != 0 {
		return code
	}
	c.block(func() { err = db.Batch(ops, quota) })
	if err != nil {
		return c.kvErr("kv_batch", err)
	}
	return 0
}

var errBadBatch = errors.New("malformed batch")

// decodeBatch reads kv_batch's encoding; the slices alias raw (guest memory), which
// storage.Batch copies before it returns.
func decodeBatch(raw []byte) ([]storage.Op, error) {
	var ops []storage.Op
	field := func() ([]byte, bool) {
		if len(raw) < 4 {
			return nil, false
		}
		n := binary.LittleEndian.Uint32(raw)
		if uint64(n) > uint64(len(raw)-4) {
			return nil, false
		}
		b := raw[4 : 4+n]
		raw = raw[4+n:]
		return b, true
	}
	for len(raw) > 0 {
		if len(ops) == storage.MaxBatchOps {
			return nil, errBadBatch
		}
		kind := raw[0]
		raw = raw[1:]
		key, ok := field()
		if !ok {
			return nil, errBadBatch
		}
		switch kind {
		case 1:
			val, ok := field()
			if !ok {
				return nil, errBadBatch
			}
			ops = append(ops, storage.Op{Key: key, Value: val})
		case 2:
			ops = append(ops, storage.Op{Key: key, Delete: true})
		default:
			return nil, errBadBatch
		}
	}
	return ops, nil
}
