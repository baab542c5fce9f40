/**
 * Elementwise math with NumPy broadcasting, and one grad rule per primitive:
 * unary (neg, exp, log, sqrt, rsqrt, sigmoid, silu, tanh, abs, square, relu), binary (add, sub, mul,
 * div, pow, maximum, minimum; a number stands for a scalar), comparisons (masks, no gradient), where
 * and clamp. Binary grads reduce over broadcast dims with sumTo.
 */
import { BinaryOp, UnaryOp } from '../../kernels/backend.js';
import { fmtShape, type Tensor } from '../tensor.js';
import { broadcastShapes, broadcastStrides, checkF32, checkSameEngine, coalesce, record, wantsGrad } from './common.js';
import { sumTo } from './reduce.js';

function unary(name: string, op: UnaryOp, x: Tensor): Tensor {
  checkF32(name, 'x', x);
  const src = x.isContiguous ? x : x.engine.contiguous(x);
  const out = x.engine.empty(x.shape);
  x.engine.backend.unary(op, src.ptr, out.ptr, out.size);
  return out;
}

export const neg = (x: Tensor): Tensor => record(unary('neg', UnaryOp.NEG, x), 'neg', [x], (g) => [neg(g)]);
export const exp = (x: Tensor): Tensor => {
  const y = unary('exp', UnaryOp.EXP, x);
  return record(y, 'exp', [x], (g) => [mul(g, y)]);
};
export const log = (x: Tensor): Tensor => record(unary('log', UnaryOp.LOG, x), 'log', [x], (g) => [div(g, x)]);
export const sqrt = (x: Tensor): Tensor => {
  const y = unary('sqrt', UnaryOp.SQRT, x);
  return record(y, 'sqrt', [x], (g) => [div(mul(g, 0.5), y)]);
};
export const rsqrt = (x: Tensor): Tensor => {
  const y = unary('rsqrt', UnaryOp.RSQRT, x);
  // d/dx x^-1/2 = -1/2 x^-3/2 = -1/2 y^3
  return record(y, 'rsqrt', [x], (g) => [mul(g, mul(pow(y, 3), -0.5))]);
};
export const sigmoid = (x: Tensor): Tensor => {
  const y = unary('sigmoid', UnaryOp.SIGMOID, x);
  return record(y, 'sigmoid', [x], (g) => [mul(g, mul(y, sub(1, y)))]);
};
export const silu = (x: Tensor): Tensor =>
  record(unary('silu', UnaryOp.SILU, x), 'silu', [x], (g) => {
    // d/dx x s(x) = s (1 + x (1 - s))
    const s = sigmoid(x);
    return [mul(g, mul(s, add(mul(x, sub(1, s)), 1)))];
  });
export const tanh = (x: Tensor): Tensor => {
  const y = unary('tanh', UnaryOp.TANH, x);
  return record(y, 'tanh', [x], (g) => [mul(g, sub(1, mul(y, y)))]);
};
export const abs = (x: Tensor): Tensor => record(unary('abs', UnaryOp.ABS, x), 'abs', [x], (g) => [mul(g, sign(x))]);
export const square = (x: Tensor): Tensor =>
  record(unary('square', UnaryOp.SQUARE, x), 'square', [x], (g) => [mul(g, mul(x, 2))]);
export const relu = (x: Tensor): Tensor =>
  record(unary('relu', UnaryOp.RELU, x), 'relu', [x], (g) => [mul(g, gt(x, 0))]);
/** -1, 0 or 1 (no gradient). */
export const sign = (x: Tensor): Tensor => unary('sign', UnaryOp.SIGN, x);

/** Applies a binary kernel with broadcasting; a number operand is a scalar. */
function binary(name: string, op: BinaryOp, a: Tensor | number, b: Tensor | number): Tensor {
  if (typeof a === 'number' && typeof b === 'number')
    throw new Error(`${name}: at least one argument must be a tensor`);
  if (typeof b === 'number' || typeof a === 'number') {
    const t = (typeof a === 'number' ? b : a) as Tensor,
      s = (typeof a === 'number' ? a : b) as number;
    checkF32(name, typeof a === 'number' ? 'b' : 'a', t);
    const src = t.isContiguous ? t : t.engine.contiguous(t);
    const out = t.engine.empty(t.shape);
    t.engine.backend.binaryScalar(op, src.ptr, s, out.ptr, out.size, typeof a === 'number');
    return out;
  }
  checkF32(name, 'a', a);
  checkF32(name, 'b', b);
  checkSameEngine(name, a, b);
  const shape = broadcastShapes(name, a.shape, b.shape);
  const out = a.engine.empty(shape);
  const c = coalesce(shape, [broadcastStrides(a, shape), broadcastStrides(b, shape)]);
  a.engine.backend.binary(op, a.ptr, c.strides[0]!, b.ptr, c.strides[1]!, out.ptr, c.shape);
  return out;
}

const shapeOf = (x: Tensor | number): readonly number[] => (typeof x === 'number' ? [] : x.shape);
/** Sums a gradient to an operand's shape (null for number operands or operands without grad). */
function gradFor(x: Tensor | number, g: Tensor): Tensor | null {
  return typeof x === 'number' ? null : sumTo(g, shapeOf(x));
}
const inputsOf = (...xs: (Tensor | number)[]): Tensor[] => xs.filter((x): x is Tensor => typeof x !== 'number');
/** Maps per-operand gradients onto the tensor operands only. */
function pick(
  a: Tensor | number,
  b: Tensor | number,
  ga: () => Tensor | null,
  gb: () => Tensor | null,
): (Tensor | null)[] {
  const out: (Tensor | null)[] = [];
  if (typeof a !== 'number') out.push(ga());
  if (typeof b !== 'number') out.push(gb());
  return out;
}

export function add(a: Tensor | number, b: Tensor | number): Tensor {
  return record(binary('add', BinaryOp.ADD, a, b), 'add', inputsOf(a, b), (g) =>
    pick(
      a,
      b,
      () => gradFor(a, g),
      () => gradFor(b, g),
    ),
  );
}
export function sub(a: Tensor | number, b: Tensor | number): Tensor {
  return record(binary('sub', BinaryOp.SUB, a, b), 'sub', inputsOf(a, b), (g) =>
    pick(
      a,
      b,
      () => gradFor(a, g),
      () => gradFor(b, neg(g)),
    ),
  );
}
export function mul(a: Tensor | number, b: Tensor | number): Tensor {
  return record(binary('mul', BinaryOp.MUL, a, b), 'mul', inputsOf(a, b), (g) =>
    pick(
      a,
      b,
      () => gradFor(a, mul(g, b)),
      () => gradFor(b, mul(g, a)),
    ),
  );
}
export function div(a: Tensor | number, b: Tensor | number): Tensor {
  const y = binary('div', BinaryOp.DIV, a, b);
  return record(y, 'div', inputsOf(a, b), (g) =>
    pick(
      a,
      b,
      () => gradFor(a, div(g, b)),
      () => gradFor(b, neg(div(mul(g, y), b))),
    ),
  );
}
export function pow(a: Tensor | number, b: Tensor | number): Tensor {
  const y = binary('pow', BinaryOp.POW, a, b);
  return record(y, 'pow', inputsOf(a, b), (g) =>
    pick(
      a,
      b,
      () => gradFor(a, mul(g, mul(b, pow(a, typeof b === 'number' ? b - 1 : sub(b, 1))))),
      () => gradFor(b, mul(g, mul(y, typeof a === 'number' ? Math.log(a) : log(a)))),
    ),
  );
}
/** Elementwise max; on ties the gradient goes to `a`. */
export function maximum(a: Tensor | number, b: Tensor | number): Tensor {
  return record(binary('maximum', BinaryOp.MAX, a, b), 'maximum', inputsOf(a, b), (g) => {
    const m = ge(a, b);
    return pick(
      a,
      b,
      () => gradFor(a, mul(g, m)),
      () => gradFor(b, mul(g, sub(1, m))),
    );
  });
}
/** Elementwise min; on ties the gradient goes to `a`. */
export function minimum(a: Tensor | number, b: Tensor | number): Tensor {
  return record(binary('minimum', BinaryOp.MIN, a, b), 'minimum', inputsOf(a, b), (g) => {
    const m = le(a, b);
    return pick(
      a,
      b,
      () => gradFor(a, mul(g, m)),
      () => gradFor(b, mul(g, sub(1, m))),
    );
  });
}

export const eq = (a: Tensor | number, b: Tensor | number): Tensor => binary('eq', BinaryOp.EQ, a, b);
export const ne = (a: Tensor | number, b: Tensor | number): Tensor => binary('ne', BinaryOp.NE, a, b);
export const lt = (a: Tensor | number, b: Tensor | number): Tensor => binary('lt', BinaryOp.LT, a, b);
export const le = (a: Tensor | number, b: Tensor | number): Tensor => binary('le', BinaryOp.LE, a, b);
export const gt = (a: Tensor | number, b: Tensor | number): Tensor => binary('gt', BinaryOp.GT, a, b);
export const ge = (a: Tensor | number, b: Tensor | number): Tensor => binary('ge', BinaryOp.GE, a, b);

/** cond != 0 ? a : b with broadcasting over all three. */
export function where(cond: Tensor, a: Tensor, b: Tensor): Tensor {
  checkF32('where', 'cond', cond);
  checkF32('where', 'a', a);
  checkF32('where', 'b', b);
  const shape = broadcastShapes('where', broadcastShapes('where', cond.shape, a.shape), b.shape);
  const out = a.engine.empty(shape);
  const c = coalesce(shape, [broadcastStrides(cond, shape), broadcastStrides(a, shape), broadcastStrides(b, shape)]);
  a.engine.backend.where(cond.ptr, c.strides[0]!, a.ptr, c.strides[1]!, b.ptr, c.strides[2]!, out.ptr, c.shape);
  if (!wantsGrad(a, b)) return out;
  return record(out, 'where', [a, b], (g) => {
    const zero = g.engine.zeros([]);
    return [sumTo(where(cond, g, zero), a.shape), sumTo(where(cond, zero, g), b.shape)];
  });
}

/** Limits x to [lo, hi] (either may be omitted); the gradient passes where x is inside. */
export function clamp(x: Tensor, lo?: number, hi?: number): Tensor {
  if (lo !== undefined && hi !== undefined && lo > hi)
    throw new Error(`clamp: lo ${lo} is greater than hi ${hi} for ${fmtShape(x.shape)}`);
  let y = x;
  if (lo !== undefined) y = maximum(y, lo);
  if (hi !== undefined) y = minimum(y, hi);
  return y === x ? mul(x, 1) : y;
}
