package httproute

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// The request and reply encodings (docs/abi.md, "HTTP routes"). Integers are little-endian.
//
// Request: "ORH1", u32 flags (1: the body is in the message's first region), then five
// strings (u32 length + bytes): method, path (decoded), raw query, the route prefix that
// matched, the header block ("Name: value\r\n" lines, canonical names, one line per value,
// sorted by name); then u64 body length and, unless flag 1, the body.
//
// Reply: "ORR1", u32 status (200..599), u32 flags (1: the body is in the reply's first
// region), the header block, u64 body length and, unless flag 1, the body.
const (
	requestMagic = "ORH1"
	replyMagic   = "ORR1"
	flagRegion   = 1
)

// Bounds a decoder enforces besides the buffer's own length.
const (
	MaxHeaderBlock = 64 << 10
	MaxBody        = 64 << 20
)

// ErrFormat is a malformed request or reply.
var ErrFormat = errors.New("httproute: malformed message")

// Request is a decoded request.
type Request struct {
	Method, Path, Query, Route string
	Header                     http.Header
	BodyLen                    int64
	Body                       []byte // inline body (nil when InRegion)
	InRegion                   bool
}

// Reply is a decoded reply.
type Reply struct {
	Status   int
	Header   http.Header
	BodyLen  int64
	Body     []byte
	InRegion bool
}

// EncodeRequest appends the request's encoding to dst. With inRegion the body is not appended
// (it travels in a region of bodyLen bytes).
func EncodeRequest(dst []byte, r *Request) []byte {
	dst = append(dst, requestMagic...)
	flags := uint32(0)
	if r.InRegion {
		flags |= flagRegion
	}
	dst = binary.LittleEndian.AppendUint32(dst, flags)
	for _, s := range []string{r.Method, r.Path, r.Query, r.Route} {
		dst = appendString(dst, s)
	}
	dst = appendString(dst, headerBlock(r.Header))
	dst = binary.LittleEndian.AppendUint64(dst, uint64(r.BodyLen))
	if !r.InRegion {
		dst = append(dst, r.Body...)
	}
	return dst
}

// DecodeRequest decodes an encoded request; Body aliases b.
func DecodeRequest(b []byte) (*Request, error) {
	d := decoder{b: b}
	if !d.magic(requestMagic) {
		return nil, fmt.Errorf("%w: not an HTTP request (want %q)", ErrFormat, requestMagic)
	}
	flags := d.u32()
	r := &Request{InRegion: flags&flagRegion != 0}
	for _, p := range []*string{&r.Method, &r.Path, &r.Query, &r.Route} {
		*p = d.str(MaxHeaderBlock)
	}
	r.Header = d.header()
	r.BodyLen, r.Body = d.body(r.InRegion)
	if d.err != nil {
		return nil, d.err
	}
	if flags&^flagRegion != 0 {
		return nil, fmt.Errorf("%w: unknown flags %#x", ErrFormat, flags)
	}
	return r, nil
}

// EncodeReply appends the reply's encoding to dst.
func EncodeReply(dst []byte, r *Reply) []byte {
	dst = append(dst, replyMagic...)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(r.Status))
	flags := uint32(0)
	if r.InRegion {
		flags |= flagRegion
	}
	dst = binary.LittleEndian.AppendUint32(dst, flags)
	dst = appendString(dst, headerBlock(r.Header))
	dst = binary.LittleEndian.AppendUint64(dst, uint64(r.BodyLen))
	if !r.InRegion {
		dst = append(dst, r.Body...)
	}
	return dst
}

// DecodeReply decodes a module's reply; Body aliases b. The status must be 200..599 and
// header names and values must be valid HTTP (no line breaks).
func DecodeReply(b []byte) (*Reply, error) {
	d := decoder{b: b}
	if !d.magic(replyMagic) {
		return nil, fmt.Errorf("%w: not an HTTP reply (want %q first)", ErrFormat, replyMagic)
	}
	r := &Reply{Status: int(d.u32())}
	flags := d.u32()
	r.InRegion = flags&flagRegion != 0
	r.Header = d.header()
	r.BodyLen, r.Body = d.body(r.InRegion)
	switch {
	case d.err != nil:
		return nil, d.err
	case flags&^flagRegion != 0:
		return nil, fmt.Errorf("%w: unknown flags %#x", ErrFormat, flags)
	case r.Status < 200 || r.Status > 599:
		return nil, fmt.Errorf("%w: status %d (want 200..599)", ErrFormat, r.Status)
	}
	return r, nil
}

func appendString(dst []byte, s string) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(s)))
	return append(dst, s...)
}

var newlineToSpace = strings.NewReplacer("\r", " ", "\n", " ", "\x00", " ")

// headerBlock writes h as "Name: value\r\n" lines sorted by name.
func headerBlock(h http.Header) string {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	var sb strings.Builder
	for _, k := range names {
		for _, v := range h[k] {
			sb.WriteString(http.CanonicalHeaderKey(k))
			sb.WriteString(": ")
			sb.WriteString(newlineToSpace.Replace(v)) // as net/http writes a header
			sb.WriteString("\r\n")
		}
	}
	return sb.String()
}

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(format string, a ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: "+format, append([]any{ErrFormat}, a...)...)
	}
}

func (d *decoder) take(n uint64) []byte {
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.fail("cut short (%d bytes wanted, %d left)", n, len(d.b))
		return nil
	}
	out := d.b[:n]
	d.b = d.b[n:]
	return out
}

func (d *decoder) magic(m string) bool { return string(d.take(uint64(len(m)))) == m && d.err == nil }

func (d *decoder) u32() uint32 {
	if b := d.take(4); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

func (d *decoder) str(max uint32) string {
	n := d.u32()
	if n > max {
		d.fail("a field of %d bytes (at most %d)", n, max)
		return ""
	}
	return string(d.take(uint64(n)))
}

// header parses the header block.
func (d *decoder) header() http.Header {
	block := d.str(MaxHeaderBlock)
	h := http.Header{}
	for block != "" && d.err == nil {
		line, rest, ok := strings.Cut(block, "\r\n")
		if !ok {
			d.fail("a header line without its CRLF")
			return nil
		}
		block = rest
		name, value, ok := strings.Cut(line, ": ")
		if !ok || !validName(name) || strings.ContainsAny(value, "\r\n\x00") {
			d.fail("bad header line %q", line)
			return nil
		}
		h[http.CanonicalHeaderKey(name)] = append(h[http.CanonicalHeaderKey(name)], value)
	}
	return h
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

func (d *decoder) body(inRegion bool) (int64, []byte) {
	b := d.take(8)
	if b == nil {
		return 0, nil
	}
	n := binary.LittleEndian.Uint64(b)
	if n > MaxBody {
		d.fail("a body of %d bytes (at most %d)", n, MaxBody)
		return 0, nil
	}
	if inRegion {
		if len(d.b) != 0 {
			d.fail("%d bytes after a body that is in a region", len(d.b))
		}
		return int64(n), nil
	}
	body := d.take(n)
	if d.err == nil && len(d.b) != 0 {
		d.fail("%d bytes after the body", len(d.b))
	}
	return int64(n), body
}
