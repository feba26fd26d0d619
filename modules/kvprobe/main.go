//go:build wasip1

// Command kvprobe runs the storage operations given as arguments and prints one line each:
// "OK <op> ..." or "ERR <op>: <error>". The storage tests use it. Operations:
//
//	put:KEY=VALUE     store VALUE under KEY
//	get:KEY           print KEY's value
//	del:KEY           delete KEY
//	list:PREFIX       print the keys under PREFIX, one "key K" line each, then the count
//	fill:N:SIZE       put N keys fill/0000.. of SIZE bytes each, one batch
//	count:N           put c/0000.. one at a time, printing "OK put c/NNNN" after each
//	                  acknowledged write (the kill -9 test reads these)
//
// kvprobe exits 0 whatever the results.
package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/orbital/orbital/modules/sdk"
)

func main() {
	for _, a := range os.Args[1:] {
		op, arg, _ := strings.Cut(a, ":")
		switch op {
		case "put":
			k, v, _ := strings.Cut(arg, "=")
			report(op+" "+k, sdk.KV.Put(k, []byte(v)))
		case "get":
			v, err := sdk.KV.Get(arg)
			report(fmt.Sprintf("get %s %q", arg, v), err)
		case "del":
			found, err := sdk.KV.Delete(arg)
			report(fmt.Sprintf("del %s %v", arg, found), err)
		case "list":
			n := 0
			for k, err := range sdk.KV.Keys(arg) {
				if err != nil {
					report("list", err)
					break
				}
				fmt.Println("key", k)
				n++
			}
			fmt.Printf("OK list %s %d\n", arg, n)
		case "fill":
			ns, ss, _ := strings.Cut(arg, ":")
			n, _ := strconv.Atoi(ns)
			size, _ := strconv.Atoi(ss)
			b := &sdk.Batch{}
			for i := range n {
				b.Put(fmt.Sprintf("fill/%04d", i), make([]byte, size))
			}
			report(fmt.Sprintf("fill %d", n), sdk.KV.Commit(b))
		case "count":
			n, _ := strconv.Atoi(arg)
			for i := range n {
				k := fmt.Sprintf("c/%04d", i)
				if err := sdk.KV.Put(k, []byte(k)); err != nil {
					report("put "+k, err)
					break
				}
				fmt.Println("OK put", k)
			}
		default:
			fmt.Printf("ERR %s: unknown operation\n", a)
		}
	}
}

func report(what string, err error) {
	if err != nil {
		fmt.Printf("ERR %s: %v\n", what, err)
		return
	}
	fmt.Println("OK", what)
}
