package sdk

import (
	"encoding/binary"
	"errors"
)

// Batch collects puts and deletes that KV.Commit applies atomically: all of them or none.
type Batch struct {
	buf []byte
	n   int
}

// Put adds a put of value under key.
func (b *Batch) Put(key string, value []byte) *Batch {
	b.buf = append(b.buf, 1)
	b.buf = appendField(b.buf, []byte(key))
	b.buf = appendField(b.buf, value)
	b.n++
	return b
}

// Delete adds a delete of key.
func (b *Batch) Delete(key string) *Batch {
	b.buf = append(b.buf, 2)
	b.buf = appendField(b.buf, []byte(key))
	b.n++
	return b
}

// Len is the number of operations.
func (b *Batch) Len() int { return b.n }

func appendField(buf, b []byte) []byte {
	buf = binary.LittleEndian.AppendUint32(buf, uint32(len(b)))
	return append(buf, b...)
}

var errBadPage = errors.New("orbital: kv_list: malformed page")

// parseKVPage reads kv_list's answer: the keys and the cursor of the next page (nil at the end).
func parseKVPage(b []byte) (keys []string, next []byte, err error) {
	if len(b) < 8 {
		return nil, nil, errBadPage
	}
	count, nlen := binary.LittleEndian.Uint32(b), binary.LittleEndian.Uint32(b[4:])
	b = b[8:]
	if uint64(nlen) > uint64(len(b)) {
		return nil, nil, errBadPage
	}
	if nlen > 0 {
		next = append([]byte(nil), b[:nlen]...)
	}
	b = b[nlen:]
	for range count {
		if len(b) < 4 {
			return nil, nil, errBadPage
		}
		n := binary.LittleEndian.Uint32(b)
		if uint64(n) > uint64(len(b)-4) {
			return nil, nil, errBadPage
		}
		keys = append(keys, string(b[4:4+n]))
		b = b[4+n:]
	}
	return keys, next, nil
}
