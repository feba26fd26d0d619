;; text (NUL-terminated, with a newline and bytes above 127), textUtf8 (a two-byte character),
;; textUtf16, and text colours (ink and background through DRAW_COLORS).
(data (i32.const 0x2000) "Hello, WASM-4!\nline 2\00")
(data (i32.const 0x2040) "\80\81\84\85\86\87 \a9\e9\00")
(data (i32.const 0x2060) "caf\c3\a9 utf8")
(data (i32.const 0x2080) "u\00t\00f\00-\001\006\00 \00\e9\00")
(func (export "update")
  (i32.store16 (i32.const 0x14) (i32.const 0x4))
  (call $text (i32.const 0x2000) (i32.const 2) (i32.const 2))
  (i32.store16 (i32.const 0x14) (i32.const 0x23))
  (call $text (i32.const 0x2040) (i32.const 2) (i32.const 24))
  (i32.store16 (i32.const 0x14) (i32.const 0x3))
  (call $textUtf8 (i32.const 0x2060) (i32.const 10) (i32.const 2) (i32.const 40))
  (call $textUtf16 (i32.const 0x2080) (i32.const 16) (i32.const 2) (i32.const 52))
  ;; clipped on the right and at the bottom
  (call $text (i32.const 0x2000) (i32.const 120) (i32.const 150))
  (call $ready))
