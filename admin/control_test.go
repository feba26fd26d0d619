package admin

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// slowStore is a Storer whose every operation takes d (or until ctx ends).
type slowStore struct {
	*table
	d time.Duration
}

func (s slowStore) KV(ctx context.Context, req KVRequest) (KVReply, error) {
	select {
	case <-time.After(s.d):
	case <-ctx.Done():
		return KVReply{}, ctx.Err()
	}
	return KVReply{Keys: []string{req.Op}}, nil
}

// TestControlLongOp: a storage snapshot keeps its connection past the limit that cuts the
// other ops (orbital backup's 5 minutes against 30 s; here 3 s against 100 ms), and an
// ordinary op as slow is still cut.
func TestControlLongOp(t *testing.T) {
	const op = 100 * time.Millisecond
	path := filepath.Join(t.TempDir(), "run", "control.sock")
	cs, err := listenControl(path, slowStore{table: demoTable(), d: 3 * op}, controlLimits{op: op, long: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	c := ControlClient{Path: path}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if rep, err := c.KV(ctx, KVRequest{Op: "snapshot", Dir: "x"}); err != nil || len(rep.Keys) != 1 || rep.Keys[0] != "snapshot" {
		t.Fatalf("a snapshot slower than the ordinary limit: %+v, %v", rep, err)
	}
	if rep, err := c.KV(ctx, KVRequest{Module: "m", Op: "ls"}); err == nil {
		t.Fatalf("an ordinary op as slow was answered: %+v", rep)
	}
}
