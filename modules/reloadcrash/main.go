//go:build wasip1

// Command reloadcrash is a version 2 of the hot-reload test module that traps 300 ms after it
// starts (modules/internal/reloadprobe): a reload to it rolls back.
package main

import (
	"time"

	"github.com/orbital/orbital/modules/internal/reloadprobe"
)

func main() { reloadprobe.Main("v2-crash", 300*time.Millisecond) }
