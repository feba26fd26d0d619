//go:build wasip1

// Command fsprobe tries the file operations given as arguments and prints one line per
// operation: "OK <op> <path>" or "ERR <op> <path>: <error>". The policy tests use it to check
// that preopens confine a guest. Operations:
//
//	read:PATH      read a file
//	write:PATH     create or truncate a file and write "probe"
//	list:PATH      list a directory
//	mkdir:PATH     create a directory
//	stat:PATH      stat a path (following symlinks)
//	lstat:PATH     stat a path without following symlinks
//	raw:DIR:REL    open REL relative to the preopen DIR with a raw WASI path_open, unchanged
//	rawwrite:DIR:REL  the same, creating the file for writing
//	symlink:TARGET:LINK  create LINK pointing to TARGET
//	rm:PATH        remove a file or an empty directory
//	rename:OLD:NEW rename OLD to NEW
//
// fsprobe exits 0 whatever the results; the output is the result.
package main

import (
	"fmt"
	"os"
	"strings"
)

func main() {
	for _, a := range os.Args[1:] {
		op, path, ok := strings.Cut(a, ":")
		if !ok {
			fmt.Printf("ERR %s: want OP:PATH\n", a)
			continue
		}
		var err error
		detail := ""
		switch op {
		case "read":
			var b []byte
			b, err = os.ReadFile(path)
			detail = fmt.Sprintf(" %q", b)
		case "write":
			err = os.WriteFile(path, []byte("probe"), 0o644)
		case "list":
			var ents []os.DirEntry
			ents, err = os.ReadDir(path)
			for _, e := range ents {
				detail += " " + e.Name()
			}
		case "mkdir":
			err = os.Mkdir(path, 0o755)
		case "stat":
			_, err = os.Stat(path)
		case "lstat":
			_, err = os.Lstat(path)
		case "symlink":
			target, link, _ := strings.Cut(path, ":")
			err = os.Symlink(target, link)
		case "rm":
			err = os.Remove(path)
		case "rename":
			from, to, _ := strings.Cut(path, ":")
			err = os.Rename(from, to)
		case "raw", "rawwrite":
			dir, rel, _ := strings.Cut(path, ":")
			err = rawOpen(dir, rel, op == "rawwrite")
		default:
			err = fmt.Errorf("unknown op %q", op)
		}
		if err != nil {
			fmt.Printf("ERR %s %s: %v\n", op, path, err)
			continue
		}
		fmt.Printf("OK %s %s%s\n", op, path, detail)
	}
}
