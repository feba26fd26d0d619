;; rect, oval, line, hline, vline and the PALETTE and DRAW_COLORS registers.
(func (export "start")
  ;; a palette of its own
  (i32.store (i32.const 0x04) (i32.const 0x1a1c2c))
  (i32.store (i32.const 0x08) (i32.const 0x5d9b3c))
  (i32.store (i32.const 0x0c) (i32.const 0xb13e53))
  (i32.store (i32.const 0x10) (i32.const 0xf4f4f4)))
(func (export "update")
  ;; fill 2, outline 3
  (i32.store16 (i32.const 0x14) (i32.const 0x32))
  (call $rect (i32.const 4) (i32.const 4) (i32.const 40) (i32.const 24))
  ;; clipped at the left and bottom edges
  (call $rect (i32.const -10) (i32.const 140) (i32.const 30) (i32.const 40))
  ;; outline only (fill transparent)
  (i32.store16 (i32.const 0x14) (i32.const 0x40))
  (call $rect (i32.const 50) (i32.const 4) (i32.const 30) (i32.const 24))
  ;; fill only
  (i32.store16 (i32.const 0x14) (i32.const 0x04))
  (call $rect (i32.const 86) (i32.const 4) (i32.const 30) (i32.const 24))
  ;; ovals: filled with outline, a thin one, one clipped on the right
  (i32.store16 (i32.const 0x14) (i32.const 0x42))
  (call $oval (i32.const 4) (i32.const 36) (i32.const 50) (i32.const 30))
  (call $oval (i32.const 60) (i32.const 36) (i32.const 7) (i32.const 40))
  (call $oval (i32.const 130) (i32.const 36) (i32.const 60) (i32.const 60))
  ;; an outline-only circle
  (i32.store16 (i32.const 0x14) (i32.const 0x30))
  (call $oval (i32.const 74) (i32.const 36) (i32.const 33) (i32.const 33))
  ;; lines in colour 4: shallow, steep, going up, and one from far off screen
  (i32.store16 (i32.const 0x14) (i32.const 0x4))
  (call $line (i32.const 4) (i32.const 90) (i32.const 100) (i32.const 110))
  (call $line (i32.const 110) (i32.const 80) (i32.const 120) (i32.const 150))
  (call $line (i32.const 10) (i32.const 150) (i32.const 60) (i32.const 120))
  (call $line (i32.const -100000) (i32.const 158) (i32.const 100000) (i32.const 118))
  ;; hline and vline in colour 3, one of each clipped
  (i32.store16 (i32.const 0x14) (i32.const 0x3))
  (call $hline (i32.const 20) (i32.const 130) (i32.const 100))
  (call $hline (i32.const 150) (i32.const 132) (i32.const 100))
  (call $vline (i32.const 140) (i32.const 70) (i32.const 60))
  (call $vline (i32.const 145) (i32.const -20) (i32.const 40))
  ;; colour 0 draws nothing
  (i32.store16 (i32.const 0x14) (i32.const 0x0))
  (call $hline (i32.const 0) (i32.const 0) (i32.const 160))
  (call $ready))
