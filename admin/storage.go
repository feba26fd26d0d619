package admin

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Storer is a Controller that can show and edit modules' key-value storage: `orbital kv`
// through the control socket while the instance runs (the instance holds the files open).
type Storer interface {
	KV(ctx context.Context, req KVRequest) (KVReply, error)
}

// KVRequest is one `orbital kv` operation on module Module's storage.
type KVRequest struct {
	Module string `json:"module"`
	Op     string `json:"op"` // ls, get, put, rm; snapshot (orbital backup: copy every namespace into Dir)
	Key    string `json:"key,omitempty"`
	Value  []byte `json:"value,omitempty"`
	Prefix string `json:"prefix,omitempty"` // ls
	Dir    string `json:"dir,omitempty"`    // snapshot
}

// ParseKV reads an `orbital kv` request from its words: MODULE ls [PREFIX], MODULE get KEY,
// MODULE put KEY VALUE or MODULE rm KEY; ok is false for anything else.
func ParseKV(words []string) (r KVRequest, ok bool) {
	if len(words) < 2 {
		return r, false
	}
	r = KVRequest{Module: words[0], Op: words[1]}
	switch n := len(words); {
	case r.Op == "ls" && n <= 3:
		if n == 3 {
			r.Prefix = words[2]
		}
	case (r.Op == "get" || r.Op == "rm") && n == 3:
		r.Key = words[2]
	case r.Op == "put" && n == 4:
		r.Key, r.Value = words[2], []byte(words[3])
	default:
		return r, false
	}
	return r, true
}

// KVReply is its answer.
type KVReply struct {
	Keys  []string `json:"keys,omitempty"`  // ls; snapshot: the files written
	Value []byte   `json:"value,omitempty"` // get
	Found bool     `json:"found,omitempty"` // rm
	Usage int64    `json:"usage"`           // bytes stored after the operation
	Quota int64    `json:"quota"`           // what the module's policy grants (0: none)
	// Warnings of a snapshot: namespaces copied as they are because they could not be read.
	Warnings []string `json:"warnings,omitempty"`
}

// SnapshotTimeout bounds a storage snapshot through the control socket (`orbital backup`):
// its connection is kept that long, where other ops are cut after 30 s.
const SnapshotTimeout = 5 * time.Minute

// ErrNoKey: a kv get named a key the module does not have. A Storer wraps it so the control
// socket carries it (code "no_key") and the client can tell it from a failure.
var ErrNoKey = errors.New("no such key")

const codeNoKey = "no_key"

// ErrNoStorage: the instance's Controller has no module storage.
var ErrNoStorage = errors.New("this instance has no module storage")

func (s *ControlServer) handleKV(ctx context.Context, req controlRequest, rep *controlReply) error {
	ctl := s.ctl
	if sm, ok := ctl.(*Sampler); ok {
		ctl = sm.Controller
	}
	st, ok := ctl.(Storer)
	if !ok || req.KV == nil {
		return ErrNoStorage
	}
	r, err := st.KV(ctx, *req.KV)
	rep.KV = &r
	if errors.Is(err, ErrNoKey) {
		rep.Code = codeNoKey
	}
	return err
}

// KV runs one storage operation on the running instance.
func (c ControlClient) KV(ctx context.Context, req KVRequest) (KVReply, error) {
	rep, err := c.call(ctx, controlRequest{Op: "kv", KV: &req})
	if rep.Code == codeNoKey {
		err = fmt.Errorf("%w (%v)", ErrNoKey, err)
	}
	if rep.KV == nil {
		return KVReply{}, err
	}
	return *rep.KV, err
}
