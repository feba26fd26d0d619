//go:build wasip1

package sdk

import (
	"encoding/binary"
	"fmt"
	"unsafe"
)

//go:wasmimport orbital http_fetch
func hostHTTPFetch(method string, url string, header string, body unsafe.Pointer, bodyLen int32, out unsafe.Pointer, timeoutNS int64) int32

// Fetch makes the HTTP(S) request r through the host and returns the whole response. The host
// refuses URLs whose host:port (or a redirect's) the module's policy does not list under
// [net] allow (ErrDenied, and the denial is in `orbital audit`). Other errors: ErrInvalid (not
// an http(s) URL, a bad method or header line), ErrNetwork (DNS, connect, TLS, HTTP; the
// process log has the detail), ErrTimeout, ErrTooBig (the response would not fit in the
// process's region bytes). A status such as 404 is not an error.
func Fetch(r HTTPRequest) (*HTTPResponse, error) {
	method := r.Method
	if method == "" {
		method = "GET"
	}
	timeout := int64(r.Timeout)
	if r.Timeout <= 0 {
		timeout = -1
	}
	var out [24]byte
	bp, bn := bytesPtr(r.Body)
	if _, err := check(hostHTTPFetch(method, r.URL, encodeHeader(r.Header), bp, bn, unsafe.Pointer(&out[0]), timeout)); err != nil {
		return nil, fmt.Errorf("orbital: fetch %s %s: %w", method, r.URL, err)
	}
	resp := &HTTPResponse{Status: int(binary.LittleEndian.Uint32(out[0:]))}
	handle := binary.LittleEndian.Uint32(out[4:])
	headLen := int64(binary.LittleEndian.Uint32(out[8:]))
	bodyLen := int64(binary.LittleEndian.Uint64(out[16:]))
	resp.Header = map[string][]string{}
	if handle == 0 {
		return resp, nil
	}
	reg := Region{Handle: handle}
	defer reg.Release()
	all := make([]byte, headLen+bodyLen)
	if _, err := reg.ReadAt(all, 0); err != nil {
		return nil, fmt.Errorf("orbital: fetch %s %s: %w", method, r.URL, err)
	}
	resp.Header = parseHead(string(all[:headLen]))
	resp.Body = all[headLen:]
	return resp, nil
}

// Get fetches url with GET.
func Get(url string) (*HTTPResponse, error) { return Fetch(HTTPRequest{URL: url}) }
