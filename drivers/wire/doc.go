// Package wire is the protocol between the Orbital kernel and a native driver process: a
// length-prefixed binary framing over a unix stream socket, with file descriptors (shared-memory
// regions) passed alongside frames as SCM_RIGHTS ancillary data.
//
// Both sides import it: the host (package drivers) and the driver SDK (package driverkit). It
// imports nothing of Orbital's, so a driver binary stays small.
//
// Frame layout (little-endian):
//
//	offset size field
//	0      4    body length (at most MaxBody)
//	4      2    type (Type constants)
//	6      1    number of file descriptors that travel with this frame (at most MaxFDs)
//	7      1    reserved, must be 0
//	8      n    body: the type's fields, encoded with Enc / decoded with Dec
//
// File descriptors are attached to the sendmsg that carries the frame's first bytes. The reader
// keeps every descriptor it receives in a FIFO and hands a frame exactly the number its header
// declares, so a frame never takes another frame's descriptors even if the kernel delivers
// ancillary data early. A frame that declares more descriptors than have arrived, a bad reserved
// byte, an oversized body or trailing bytes in a body are protocol violations (ErrProtocol):
// the host stops the driver that sent it.
//
// Why a hand-written protocol rather than gRPC (as go-plugin uses): frames must carry file
// descriptors, which gRPC over a socket cannot, and every frame of video must cost one small
// write, not a protobuf encoding plus HTTP/2 framing. The messages are few and fixed; a 60-line
// encoder and a bounds-checked decoder (fuzzed) are less code than the generated stubs.
//
// Versions: the host lists the versions it accepts (1,2) and the driver picks the newest it
// speaks; version 2 adds Peer, PeerGone, Audit and Usage. Frame types from TUser up are a
// driver's own (between it and its helper processes, which reuse this framing); the host
// never sends them.
//
// Concurrency: Conn.Write may be called from several goroutines (a mutex keeps frames whole);
// Conn.Read must be called from one goroutine at a time.
package wire
