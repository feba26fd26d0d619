//go:build wasip1

// Command reloadprobe is version 1 of the hot-reload test module (modules/internal/reloadprobe);
// reloadprobe2 is version 2 and reloadcrash a version 2 that traps in its first second.
package main

import "github.com/orbital/orbital/modules/internal/reloadprobe"

func main() { reloadprobe.Main("v1", 0) }
