// Command launch starts other modules as its children and reports how each ended: a small
// supervisor, and the demo of the proc_spawn door.
//
//	orbital run launch -- [-node NAME | -any] [-need SPEC] NAME [ARG...] [+ NAME [ARG...]]...
//
// Each child runs under its own policy cut down to launch's (a child never gets more than its
// parent), and only the modules launch's policy names under [process] spawn may be started.
// In a cluster, -node, -any and -need place the children as `orbital spawn` does
// (proc_spawn_at): on another node a child is still launch's, bounded by its namespace.
// launch waits for every child and prints one line per child:
//
//	launch: hello (pid 3) exited 0
//
// Its exit status is the number of children that could not start or exited non-zero (at most
// 100); a quit request (the user stops launch) stops the children first.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/orbital/orbital/modules/sdk"
)

func main() { os.Exit(run(os.Args[1:])) }

func run(args []string) int {
	fs := flag.NewFlagSet("launch", flag.ContinueOnError)
	var place sdk.Place
	fs.StringVar(&place.Node, "node", "", "start the children on this node of the cluster")
	fs.BoolVar(&place.Any, "any", false, "start the children on the node with the most free resources that fits -need")
	fs.StringVar(&place.Need, "need", "", "what the node must have: memory=1GiB,cores=2,driver=camera")
	if fs.Parse(args) != nil {
		return 2
	}
	jobs := split(fs.Args())
	if len(jobs) == 0 {
		fmt.Fprintln(os.Stderr, "usage: launch [-node NAME | -any] [-need SPEC] NAME [ARG...] [+ NAME [ARG...]]...")
		return 2
	}
	failed := 0
	names := map[uint32]string{}
	for _, j := range jobs {
		pid, err := spawn(place, j)
		if err != nil {
			fmt.Printf("launch: %s did not start: %v\n", j[0], err)
			failed++
			continue
		}
		names[pid] = j[0]
	}
	for len(names) > 0 {
		m, err := sdk.Recv(sdk.Forever)
		if err != nil {
			fmt.Fprintln(os.Stderr, "launch:", err)
			return min(100, failed+len(names))
		}
		switch m.Kind {
		case sdk.KindQuit:
			for pid := range names {
				sdk.Kill(pid, false)
			}
		case sdk.KindExit:
			e, err := m.Exit()
			if err != nil {
				continue
			}
			name, ok := names[e.PID]
			if !ok {
				continue
			}
			delete(names, e.PID)
			fmt.Printf("launch: %s (pid %d) exited %d", name, e.PID, e.Code)
			if e.Code != 0 {
				failed++
				fmt.Printf(": %s", e.Reason)
			}
			fmt.Println()
		}
	}
	return min(100, failed)
}

// spawn starts job (name and arguments) where place says, here when it says nothing.
func spawn(place sdk.Place, job []string) (uint32, error) {
	if place == (sdk.Place{}) {
		return sdk.Spawn(job[0], job[1:]...)
	}
	return sdk.SpawnOn(place, job[0], job[1:]...)
}

// split cuts the arguments into jobs at "+".
func split(args []string) [][]string {
	var jobs [][]string
	var cur []string
	for _, a := range args {
		if a == "+" {
			if len(cur) > 0 {
				jobs = append(jobs, cur)
			}
			cur = nil
			continue
		}
		cur = append(cur, a)
	}
	if len(cur) > 0 {
		jobs = append(jobs, cur)
	}
	return jobs
}
