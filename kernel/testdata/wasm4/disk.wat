;; diskr and diskw: start reads a run counter from the disk, adds one and writes it back;
;; update draws one box per run and traces the count.
(data (i32.const 0x2000) "runs=%d\00")
(func (export "start")
  (local $n i32)
  (if (i32.eq (call $diskr (i32.const 0x3000) (i32.const 4)) (i32.const 4))
    (then (local.set $n (i32.load (i32.const 0x3000)))))
  (i32.store (i32.const 0x3000) (i32.add (local.get $n) (i32.const 1)))
  (drop (call $diskw (i32.const 0x3000) (i32.const 4)))
  (call $tracef (i32.const 0x2000) (i32.const 0x3000)))
(func (export "update")
  (local $i i32)
  (i32.store16 (i32.const 0x14) (i32.const 0x4))
  (loop $l
    (if (i32.lt_u (local.get $i) (i32.load (i32.const 0x3000)))
      (then
        (call $rect (i32.add (i32.const 4) (i32.mul (local.get $i) (i32.const 12))) (i32.const 4) (i32.const 8) (i32.const 8))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l))))
  (call $ready))
