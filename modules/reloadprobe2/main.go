//go:build wasip1

// Command reloadprobe2 is version 2 of the hot-reload test module (modules/internal/reloadprobe).
package main

import "github.com/orbital/orbital/modules/internal/reloadprobe"

func main() { reloadprobe.Main("v2", 0) }
