package system

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/orbital/orbital/admin"
	"github.com/orbital/orbital/policies"
	"github.com/orbital/orbital/registry"
	"github.com/orbital/orbital/storage"
)

// Module storage for people: `orbital kv NAME ls|get|put|rm`. While an instance runs it holds
// the storage files open, so the command goes through its control socket (controller.KV);
// otherwise it opens the home's storage itself (KV).

// StorageDir is where a home keeps its modules' storage.
func StorageDir(home string) string { return filepath.Join(home, "storage") }

// KV runs req on home's storage: through the control socket of the instance that holds it
// open, or, when none runs, on the files themselves.
func KV(ctx context.Context, home string, req admin.KVRequest) (admin.KVReply, error) {
	rep, err := admin.ControlClient{Path: admin.ControlSocketPath(home)}.KV(ctx, req)
	if !errors.Is(err, admin.ErrNotRunning) {
		return rep, err
	}
	pst, err := policies.Open(home)
	if err != nil {
		return admin.KVReply{}, err
	}
	reg, err := registry.Open(home)
	if err != nil {
		return admin.KVReply{}, err
	}
	st := storage.Open(StorageDir(home))
	defer st.Close()
	return kvDo(st, pst, reg, req)
}

// KV implements admin.Storer for the instance's control socket.
func (c *controller) KV(_ context.Context, req admin.KVRequest) (admin.KVReply, error) {
	in := c.in
	if in.store == nil {
		return admin.KVReply{}, admin.ErrNoStorage
	}
	if req.Op == "snapshot" {
		return snapshotStorage(in.cfg.Home, in.store, req.Dir)
	}
	return kvDo(in.store, in.pst, in.reg, req)
}

// kvIdentity is the module as its storage knows it: its publisher, and the quota its policy
// grants (manifest ∩ policy, as for the module itself).
func kvIdentity(pst *policies.Store, reg *registry.Registry, name string) (publisher string, quota int64, err error) {
	pub, ns, err := moduleNamespace(pst, reg, name)
	if err != nil {
		return pub, 0, err
	}
	return pub, ns.StorageQuota(), nil
}

// moduleNamespace resolves what the newest installed version of name may do (manifest ∩
// policy; policy alone for a module the registry does not hold), without starting it.
func moduleNamespace(pst *policies.Store, reg *registry.Registry, name string) (publisher string, ns *policies.Namespace, err error) {
	id := policies.Identity{Name: name}
	if recs, err := reg.List(name); err == nil && len(recs) > 0 {
		rec := recs[0]
		for _, r := range recs {
			if r.Name == name {
				rec = r
				break
			}
		}
		if rec.Name == name && !rec.Derived {
			m, err := reg.Manifest(rec)
			if err != nil {
				return "", nil, err
			}
			req, err := m.Requests(pst.Expand())
			if err != nil {
				return "", nil, err
			}
			id.Publisher, id.Requests = m.Publisher, req
		}
	}
	ns, err = pst.Resolve(id)
	return id.Publisher, ns, err
}

func kvDo(st *storage.Store, pst *policies.Store, reg *registry.Registry, req admin.KVRequest) (admin.KVReply, error) {
	var rep admin.KVReply
	pub, quota, err := kvIdentity(pst, reg, req.Module)
	rep.Quota = quota
	if err != nil && req.Op == "put" {
		return rep, err
	}
	if req.Op != "put" && !st.Exists(req.Module, pub) {
		if req.Op == "get" {
			return rep, fmt.Errorf("%s has stored nothing: %w", req.Module, admin.ErrNoKey)
		}
		return rep, nil // ls and rm of a module that never stored anything
	}
	db, err := st.DB(req.Module, pub)
	if err != nil {
		return rep, err
	}
	defer db.Release()
	switch req.Op {
	case "ls":
		var cur []byte
		for {
			keys, next, err := db.List([]byte(req.Prefix), cur, 1<<20)
			if err != nil {
				return rep, err
			}
			for _, k := range keys {
				rep.Keys = append(rep.Keys, string(k))
			}
			if next == nil {
				break
			}
			cur = next
		}
	case "get":
		if rep.Value, err = db.Get([]byte(req.Key)); errors.Is(err, storage.ErrNotFound) {
			err = fmt.Errorf("%s has no key %q: %w", req.Module, req.Key, admin.ErrNoKey)
		}
	case "put":
		if quota <= 0 {
			return rep, fmt.Errorf("%s has no storage: its policy grants no [storage] kv (orbital policy explain %s)", req.Module, req.Module)
		}
		err = db.Put([]byte(req.Key), req.Value, quota)
	case "rm":
		rep.Found, err = db.Delete([]byte(req.Key))
	default:
		return rep, errors.New("kv: want ls, get, put or rm")
	}
	if u, uerr := db.Usage(); uerr == nil {
		rep.Usage = u
	}
	return rep, err
}
