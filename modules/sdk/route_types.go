package sdk

import (
	"encoding/binary"
	"errors"
	"net/textproto"
	"net/url"
	"sort"
	"strings"
)

// HTTP routes (docs/abi.md, "HTTP routes"): a request under a prefix the module's policy
// grants ([http] routes) arrives as a request message; its reply is the response.

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

const (
	httpRequestMagic = "ORH1"
	httpReplyMagic   = "ORR1"
	httpInRegion     = 1
)

var errHTTPFormat = errors.New("orbital: malformed HTTP request")

// IsRouteRequest reports whether a message's payload is an HTTP request.
func IsRouteRequest(payload []byte) bool { return strings.HasPrefix(string(payload), httpRequestMagic) }

// decodeRouteRequest decodes the request encoding; inRegion says the body (bodyLen bytes) is
// in the message's first region.
func decodeRouteRequest(b []byte) (r *RouteRequest, bodyLen uint64, inRegion bool, err error) {
	if !IsRouteRequest(b) || len(b) < 8 {
		return nil, 0, false, errHTTPFormat
	}
	flags := binary.LittleEndian.Uint32(b[4:])
	b = b[8:]
	field := func() string {
		if err != nil || len(b) < 4 {
			err = errHTTPFormat
			return ""
		}
		n := uint64(binary.LittleEndian.Uint32(b))
		if n > uint64(len(b)-4) {
			err = errHTTPFormat
			return ""
		}
		s := string(b[4 : 4+n])
		b = b[4+n:]
		return s
	}
	r = &RouteRequest{Method: field(), Path: field(), Query: field(), Route: field(), Header: RouteHeader{}}
	block := field()
	for _, line := range strings.Split(block, "\r\n") {
		if name, value, ok := strings.Cut(line, ": "); ok {
			r.Header[name] = append(r.Header[name], value)
		}
	}
	if err != nil || len(b) < 8 {
		return nil, 0, false, errHTTPFormat
	}
	bodyLen = binary.LittleEndian.Uint64(b)
	b = b[8:]
	inRegion = flags&httpInRegion != 0
	if !inRegion {
		if uint64(len(b)) != bodyLen {
			return nil, 0, false, errHTTPFormat
		}
		r.Body = append([]byte(nil), b...)
	}
	return r, bodyLen, inRegion, nil
}

// encodeRouteReply encodes a response; with inRegion the body is left out (it goes in a region).
func encodeRouteReply(resp *RouteResponse, inRegion bool) []byte {
	status := resp.Status
	if status == 0 {
		status = 200
	}
	out := append([]byte(httpReplyMagic), 0, 0, 0, 0, 0, 0, 0, 0)
	binary.LittleEndian.PutUint32(out[4:], uint32(status))
	if inRegion {
		binary.LittleEndian.PutUint32(out[8:], httpInRegion)
	}
	names := make([]string, 0, len(resp.Header))
	for k := range resp.Header {
		names = append(names, k)
	}
	sort.Strings(names)
	var block strings.Builder
	clean := strings.NewReplacer("\r", " ", "\n", " ", "\x00", " ")
	for _, k := range names {
		for _, v := range resp.Header[k] {
			block.WriteString(canonical(k) + ": " + clean.Replace(v) + "\r\n")
		}
	}
	out = binary.LittleEndian.AppendUint32(out, uint32(block.Len()))
	out = append(out, block.String()...)
	out = binary.LittleEndian.AppendUint64(out, uint64(len(resp.Body)))
	if !inRegion {
		out = append(out, resp.Body...)
	}
	return out
}

func canonical(s string) string { return textproto.CanonicalMIMEHeaderKey(s) }
