/**
 * The rotate-half RoPE of the dense students (src/models/qwen2/rope.ts) against the halves'
 * formula of Hugging Face's `apply_rotary_pos_emb`, written out here in float64: y1 = x1 cos - x2 sin,
 * y2 = x2 cos + x1 sin, at positions given as a start or as a packed list; and its errors.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { RotateHalfRope } from '../../src/models/qwen2/rope.js';
import { ropeInvFreq } from '../../src/models/qwen2/rope-scaling.js';
import { forEachBackend } from '../helpers/backends.js';

forEachBackend((_name, engine) => {
  it('rotates each head of each token by its position, for a start and for packed positions', () => {
    const e = engine(),
      d = 8,
      H = 3,
      inv = ropeInvFreq(d, 10000, null),
      rope = new RotateHalfRope(e, inv, 64);
    for (const [pos, list] of [
      [5, [5, 6, 7, 8]],
      [Int32Array.from([40, 0, 17, 63]), [40, 0, 17, 63]],
    ] as const) {
      const T = list.length,
        x = Array.from({ length: T * H * d }, (_, i) => Math.sin(i * 1.7) * 3);
      const got = e.scope(() => rope.apply(e.tensor(x, [1, T, H, d]), pos).toArray());
      for (let t = 0; t < T; t++)
        for (let h = 0; h < H; h++)
          for (let i = 0; i < d / 2; i++) {
            const o = (t * H + h) * d,
              a = list[t]! * inv[i]!,
              x1 = x[o + i]!,
              x2 = x[o + d / 2 + i]!;
            const y1 = x1 * Math.cos(a) - x2 * Math.sin(a),
              y2 = x2 * Math.cos(a) + x1 * Math.sin(a);
            assert.ok(Math.abs(got[o + i]! - y1) < 1e-5, `t ${t} head ${h} pair ${i}: ${got[o + i]} vs ${y1}`);
            assert.ok(
              Math.abs(got[o + d / 2 + i]! - y2) < 1e-5,
              `t ${t} head ${h} pair ${i}: ${got[o + d / 2 + i]} vs ${y2}`,
            );
          }
    }
    rope.dispose();
  });

  it('refuses positions past the table and an x of the wrong shape, naming them', () => {
    const e = engine(),
      rope = new RotateHalfRope(e, ropeInvFreq(8, 10000, null), 16);
    e.scope(() => {
      assert.throws(() => rope.at(14, 3), /3 positions up to 16; the table holds 16/);
      assert.throws(() => rope.at(Int32Array.from([1, 2]), 3), /3 positions/);
      const rows = rope.at(0, 2);
      assert.throws(() => rope.rotate(e.zeros([1, 2, 1, 6]), rows), /x \[1, 2, 1, 6\] needs \[B, 2, H, 8\]/);
      assert.throws(() => rope.rotate(e.zeros([1, 3, 1, 8]), rows), /needs \[B, 2, H, 8\]/);
    });
    rope.dispose();
  });
});
