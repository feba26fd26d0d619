package registry

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

// TestConcurrentInstalls installs from several goroutines (each install takes the exclusive
// state lock in turn) while others search and list; every install must land, in the state and
// in the index.
func TestConcurrentInstalls(t *testing.T) {
	r := newReg(t)
	const workers, each = 4, 4
	paths := make([][]string, workers)
	for w := range workers {
		for i := range each {
			paths[w] = append(paths[w], writePkg(t, makePkg(t, fmt.Sprintf("w%d-m%d", w, i), "1.0.0", KindApp, nil, nil)))
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, workers*each+64)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, p := range paths[w] {
				if _, err := r.Install(context.Background(), p, InstallOptions{}); err != nil {
					errs <- err
				}
			}
		}()
	}
	stop := make(chan struct{})
	var readers sync.WaitGroup
	readers.Add(1)
	go func() {
		defer readers.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := r.Search("test module", 50); err != nil {
				errs <- err
			}
			if _, err := r.List(""); err != nil {
				errs <- err
			}
		}
	}()
	wg.Wait()
	close(stop)
	readers.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	recs, _ := r.List("")
	hits, _ := r.Search("test module", 100)
	if len(recs) != workers*each || len(hits) != workers*each {
		t.Fatalf("%d records, %d hits; want %d", len(recs), len(hits), workers*each)
	}
}
