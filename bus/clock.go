package bus

import "time"

var epoch = time.Now()

// Now is the bus's monotonic clock in nanoseconds since an arbitrary start (this process's
// start). Message.Sent uses it; the kernel's time_monotonic should use it too, so a guest can
// subtract a message's Sent time from its own clock.
func Now() int64 { return int64(time.Since(epoch)) }
