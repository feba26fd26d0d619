package sdk

import (
	"encoding/binary"
	"fmt"
)

// DecodeScript splits what script_read writes: u32 file-name length, the file name, the source.
func DecodeScript(buf []byte) (file string, source []byte, err error) {
	if len(buf) < 4 {
		return "", nil, fmt.Errorf("orbital: script of %d bytes has no header", len(buf))
	}
	n := uint64(binary.LittleEndian.Uint32(buf))
	if n > uint64(len(buf)-4) {
		return "", nil, fmt.Errorf("orbital: script header names a %d-byte file name in %d bytes", n, len(buf))
	}
	return string(buf[4 : 4+n]), buf[4+n:], nil
}
