//go:build wasip1

package sdk

import "time"

// Now is the host's monotonic clock: time since an arbitrary start, never going back. Use it
// for frame timing and timeouts; it is the clock of Message.Sent.
func Now() time.Duration { return time.Duration(hostTimeMonotonic()) }

// WallTime is the host's wall clock (time_wall), in the local zone the WASI environment gives.
func WallTime() time.Time { return time.Unix(0, hostTimeWall()) }

// PID is the calling process's pid.
func PID() uint32 { return uint32(hostPID()) }
