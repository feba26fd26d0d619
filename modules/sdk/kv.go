//go:build wasip1

package sdk

import (
	"fmt"
	"iter"
	"unsafe"
)

// The storage family of docs/abi.md ("Storage"): durable key-value storage that is the
// module's own (per name and publisher), kept across versions, reloads and restarts. Every
// call needs the module's policy to grant `[storage] kv = "<size>"`; otherwise ErrDenied. A
// write that would go over that quota is ErrLimit and changes nothing.

//go:wasmimport orbital kv_get
func hostKVGet(key string, buf unsafe.Pointer, n int32) int32

//go:wasmimport orbital kv_put
func hostKVPut(key string, val unsafe.Pointer, n int32) int32

//go:wasmimport orbital kv_delete
func hostKVDelete(key string) int32

//go:wasmimport orbital kv_list
func hostKVList(prefix string, cursor unsafe.Pointer, cn int32, buf unsafe.Pointer, n int32) int32

//go:wasmimport orbital kv_batch
func hostKVBatch(ops unsafe.Pointer, n int32) int32

// Limits of keys and values (docs/abi.md).
const (
	MaxKVKey   = 1024
	MaxKVValue = 1 << 20
)

// KVStore is the module's storage; use the package value KV.
type KVStore struct{}

// KV is the module's durable key-value storage.
var KV KVStore

func ptr(b []byte) unsafe.Pointer { return unsafe.Pointer(unsafe.SliceData(b)) }

// Get returns key's value. A missing key is ErrNotFound.
func (KVStore) Get(key string) ([]byte, error) {
	buf := make([]byte, 512)
	for range 4 { // the value may change size between the two calls
		r := hostKVGet(key, ptr(buf), int32(len(buf)))
		if r >= 0 {
			return buf[:r], nil
		}
		if Errno(r) != ErrTooSmall {
			return nil, fmt.Errorf("orbital: kv get %q: %w", key, Errno(r))
		}
		n := hostKVGet(key, nil, 0)
		if n < 0 {
			return nil, fmt.Errorf("orbital: kv get %q: %w", key, Errno(n))
		}
		buf = make([]byte, n)
	}
	return nil, fmt.Errorf("orbital: kv get %q: it changed size on every try: %w", key, ErrTooSmall)
}

// Put stores value under key, synced to disk before it returns.
func (KVStore) Put(key string, value []byte) error {
	if r := hostKVPut(key, ptr(value), int32(len(value))); r < 0 {
		return fmt.Errorf("orbital: kv put %q (%d bytes): %w", key, len(value), Errno(r))
	}
	return nil
}

// Delete removes key and reports whether it was there.
func (KVStore) Delete(key string) (bool, error) {
	r := hostKVDelete(key)
	if r < 0 {
		return false, fmt.Errorf("orbital: kv delete %q: %w", key, Errno(r))
	}
	return r == 1, nil
}

// Keys yields the keys starting with prefix, in byte order, a page at a time; a failure is
// yielded once as the error, and ends the listing.
func (KVStore) Keys(prefix string) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		buf := make([]byte, 16<<10)
		var cursor []byte
		for {
			r := hostKVList(prefix, ptr(cursor), int32(len(cursor)), ptr(buf), int32(len(buf)))
			if r < 0 {
				yield("", fmt.Errorf("orbital: kv list %q: %w", prefix, Errno(r)))
				return
			}
			keys, next, err := parseKVPage(buf[:r])
			if err != nil {
				yield("", err)
				return
			}
			for _, k := range keys {
				if !yield(k, nil) {
					return
				}
			}
			if next == nil {
				return
			}
			cursor = next
		}
	}
}

// Commit applies b atomically: every operation or, on any error (over quota among them), none.
func (KVStore) Commit(b *Batch) error {
	if b.n == 0 {
		return nil
	}
	if r := hostKVBatch(ptr(b.buf), int32(len(b.buf))); r < 0 {
		return fmt.Errorf("orbital: kv batch of %d: %w", b.n, Errno(r))
	}
	return nil
}
