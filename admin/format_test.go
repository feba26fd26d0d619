package admin

import "testing"

func TestStorageText(t *testing.T) {
	for _, tc := range []struct {
		p    Proc
		want string
	}{
		{Proc{}, "-"},
		{Proc{Storage: 12 << 10, StorageQuota: 16 << 20}, "12.0KiB / 16.0MiB"},
		{Proc{StorageQuota: 1 << 20}, "0B / 1.0MiB"},
		{Proc{Storage: 100}, "100B / none"}, // data kept after the grant went away
	} {
		if got := tc.p.StorageText(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.p, got, tc.want)
		}
	}
}
