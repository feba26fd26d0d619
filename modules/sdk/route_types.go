package sdk

import (
	"encoding/binary"
	"errors"
	"net/textproto"
	"net/url"
	"slices"
	"strings"
)

// HTTP routes (docs/abi.md, "HTTP routes"): a request under a prefix the module's policy
// grants ([http] routes) arrives as a call of the module (method RouteMethod) whose payload
// is the encoded request; its reply is the encoded response.

// RouteHeader maps canonical header names ("Content-Type") to their values.
type RouteHeader map[string][]string

// Get returns the first value of name ("" when absent).
func (h RouteHeader) Get(name string) string {
	if v := h[canonical(name)]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Set replaces the values of name.
func (h RouteHeader) Set(name, value string) { h[canonical(name)] = []string{value} }

// RouteRequest is one request routed to this module.
type RouteRequest struct {
	Method string      // "GET"
	Path   string      // decoded: "/watchdog/api/status"
	Query  string      // raw: "a=1&b=x%20y"
	Route  string      // the prefix that matched: "/watchdog/"
	Header RouteHeader // canonical names
	Body   []byte
}

// Values parses the query.
func (r *RouteRequest) Values() url.Values {
	v, _ := url.ParseQuery(r.Query)
	return v
}

// Sub is the path below the route: "api/status" for "/watchdog/api/status".
func (r *RouteRequest) Sub() string { return strings.TrimPrefix(r.Path, r.Route) }

// RouteResponse is a handler's answer. Status 0 is 200.
type RouteResponse struct {
	Status int
	Header RouteHeader
	Body   []byte
}

// RouteMethod is the method of the calls that carry HTTP requests: the instance calls the
// route's module as a service (its handler sees this method and a request as the payload).
const RouteMethod = "http"

const (
	httpRequestMagic = "ORH1"
	httpReplyMagic   = "ORR1"
	httpInRegion     = 1
)

var errHTTPFormat = errors.New("orbital: malformed HTTP request")

// IsRouteRequest reports whether a message's payload is an HTTP request.
func IsRouteRequest(payload []byte) bool {
	return string(payload[:min(len(payload), 4)]) == httpRequestMagic
}

// isRouteCall reports whether a message of kind with topic and payload is an HTTP request
// (a call with the method RouteMethod whose payload is one).
func isRouteCall(kind Kind, topic string, payload []byte) bool {
	return kind == KindCall && topic == RouteMethod && IsRouteRequest(payload)
}

// decodeRouteRequest decodes the request encoding; inRegion says the body (bodyLen bytes) is
// in the message's first region. What it returns is its own (b may be reused). A guest's
// allocations are slow (a Go wasm program's mallocgc is several times native), so the five
// text fields are one string the others slice, and the header values share one array.
func decodeRouteRequest(b []byte) (r *RouteRequest, bodyLen uint64, inRegion bool, err error) {
	if !IsRouteRequest(b) || len(b) < 8 {
		return nil, 0, false, errHTTPFormat
	}
	flags := binary.LittleEndian.Uint32(b[4:])
	var at [5][2]int // where each field lies in b
	off := 8
	for i := range at {
		if len(b)-off < 4 {
			return nil, 0, false, errHTTPFormat
		}
		n := int(binary.LittleEndian.Uint32(b[off:]))
		if n < 0 || n > len(b)-off-4 {
			return nil, 0, false, errHTTPFormat
		}
		at[i] = [2]int{off + 4 - 8, off + 4 + n - 8}
		off += 4 + n
	}
	if len(b)-off < 8 {
		return nil, 0, false, errHTTPFormat
	}
	text := string(b[8:off])
	field := func(i int) string { return text[at[i][0]:at[i][1]] }
	r = &RouteRequest{Method: field(0), Path: field(1), Query: field(2), Route: field(3), Header: parseHeaderBlock(field(4))}
	bodyLen = binary.LittleEndian.Uint64(b[off:])
	b = b[off+8:]
	inRegion = flags&httpInRegion != 0
	if !inRegion {
		if uint64(len(b)) != bodyLen {
			return nil, 0, false, errHTTPFormat
		}
		if len(b) > 0 {
			r.Body = append([]byte(nil), b...)
		}
	}
	return r, bodyLen, inRegion, nil
}

// parseHeaderBlock reads "Name: value\r\n" lines (the names are canonical already); the
// values share one array (a name's second value is appended past its cap, so it copies).
func parseHeaderBlock(block string) RouteHeader {
	n := strings.Count(block, "\r\n")
	h := make(RouteHeader, n)
	vals := make([]string, n)
	i := 0
	for block != "" {
		line, rest, _ := strings.Cut(block, "\r\n")
		block = rest
		name, value, ok := strings.Cut(line, ": ")
		if !ok {
			continue
		}
		if old, dup := h[name]; dup || i >= n {
			h[name] = append(old, value)
			continue
		}
		vals[i] = value
		h[name] = vals[i : i+1 : i+1]
		i++
	}
	return h
}

var cleanValue = strings.NewReplacer("\r", " ", "\n", " ", "\x00", " ")

// encodeRouteReply appends a response's encoding to dst; with inRegion the body is left out
// (it goes in a region).
func encodeRouteReply(dst []byte, resp *RouteResponse, inRegion bool) []byte {
	dst = encodeRouteHead(dst, resp, inRegion)
	if !inRegion {
		dst = append(dst, resp.Body...)
	}
	return dst
}

// encodeRouteHead appends the encoding of a response up to its body (the body's length is
// the last field written).
func encodeRouteHead(dst []byte, resp *RouteResponse, inRegion bool) []byte {
	status := resp.Status
	if status == 0 {
		status = 200
	}
	dst = append(dst, httpReplyMagic...)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(status))
	flags := uint32(0)
	if inRegion {
		flags = httpInRegion
	}
	dst = binary.LittleEndian.AppendUint32(dst, flags)
	lenAt := len(dst)
	dst = append(dst, 0, 0, 0, 0) // the header block's length, known once it is written
	var few [8]string
	names := few[:0]
	for k := range resp.Header {
		names = append(names, k) // past 8, on the heap
	}
	slices.Sort(names)
	for _, k := range names {
		for _, v := range resp.Header[k] {
			dst = append(dst, canonical(k)...)
			dst = append(dst, ": "...)
			if strings.ContainsAny(v, "\r\n\x00") {
				v = cleanValue.Replace(v)
			}
			dst = append(dst, v...)
			dst = append(dst, "\r\n"...)
		}
	}
	binary.LittleEndian.PutUint32(dst[lenAt:], uint32(len(dst)-lenAt-4))
	return binary.LittleEndian.AppendUint64(dst, uint64(len(resp.Body)))
}

func canonical(s string) string { return textproto.CanonicalMIMEHeaderKey(s) }
