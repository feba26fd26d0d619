package bus

import (
	"sync/atomic"
	"time"
)

// spin watches v for up to d and reports whether it became non-zero. It does not yield: the
// callers are often goroutines locked to their module's OS thread, and runtime.Gosched on a
// locked thread hands the processor to another thread and back (two futex calls), which costs
// as much as parking. d is short (Config.Spin), so holding the processor is cheap.
func spin(v *atomic.Int64, d time.Duration) bool {
	if d <= 0 {
		return false
	}
	start := time.Now()
	for i := 1; ; i++ {
		if v.Load() != 0 {
			return true
		}
		if i%64 == 0 && time.Since(start) > d {
			return false
		}
	}
}
