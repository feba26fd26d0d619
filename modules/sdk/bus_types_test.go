package sdk

import (
	"testing"
	"unsafe"
)

func TestGrants(t *testing.T) {
	r := Region{Handle: 7}
	if g := r.Share(Read | Transfer); g != (Grant{7, Read}) {
		t.Fatalf("Share kept the transfer flag: %+v", g)
	}
	if g := r.Give(Read); g != (Grant{7, Read | Transfer}) {
		t.Fatalf("Give: %+v", g)
	}
	// The host reads grants as (u32 handle, u32 flags) pairs straight from memory.
	if unsafe.Sizeof(Grant{}) != 8 || unsafe.Offsetof(Grant{}.Rights) != 4 {
		t.Fatalf("Grant layout is not two u32s")
	}
	m := Message{Regions: []uint32{3, 4}}
	if l := m.RegionList(); len(l) != 2 || l[1].Handle != 4 {
		t.Fatalf("RegionList %+v", l)
	}
}
