;; SYSTEM_FLAGS bit 0 keeps the framebuffer between frames: one dot a frame leaves a trail of
;; 20 dots. The frame counter lives at 0x3000.
(func (export "start")
  (i32.store8 (i32.const 0x1f) (i32.const 1)))
(func (export "update")
  (local $n i32)
  (local.set $n (i32.load (i32.const 0x3000)))
  (i32.store (i32.const 0x3000) (i32.add (local.get $n) (i32.const 1)))
  (if (i32.lt_u (local.get $n) (i32.const 20))
    (then
      (i32.store16 (i32.const 0x14) (i32.const 0x4))
      (call $hline (i32.add (i32.const 20) (i32.mul (local.get $n) (i32.const 6))) (i32.add (i32.const 20) (i32.mul (local.get $n) (i32.const 5))) (i32.const 4))))
  (call $ready))
