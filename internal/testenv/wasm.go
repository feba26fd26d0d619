package testenv

// EmptyFuncs is a WASM module of n empty functions of type () -> () with the first exported as
// _start: 4 bytes a function, so a million fit in 4 MB. It is the compile bomb of issue 18
// (defect 6): before the compile limits, 999k of them took 5.3 GB and 24 s to compile.
func EmptyFuncs(n int) []byte {
	leb := func(v int) []byte {
		var out []byte
		for {
			c := byte(v & 0x7f)
			if v >>= 7; v == 0 {
				return append(out, c)
			}
			out = append(out, c|0x80)
		}
	}
	sec := func(id byte, body []byte) []byte { return append(append([]byte{id}, leb(len(body))...), body...) }
	fn, code := leb(n), leb(n)
	for range n {
		fn, code = append(fn, 0), append(code, 2, 0, 0x0b)
	}
	out := []byte{0, 'a', 's', 'm', 1, 0, 0, 0}
	out = append(out, sec(1, []byte{1, 0x60, 0, 0})...)
	out = append(out, sec(3, fn)...)
	out = append(out, sec(7, append([]byte{1, 6}, append([]byte("_start"), 0, 0)...))...)
	return append(out, sec(10, code)...)
}
