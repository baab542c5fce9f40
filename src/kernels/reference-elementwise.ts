/**
 * The scalar functions of the elementwise ops (UnaryOp, BinaryOp of src/kernels/backend.ts), in JS
 * doubles: what the reference backend applies per element and what the WASM kernels are checked against.
 */
import { BinaryOp, UnaryOp } from './backend.js';

export function unaryFn(op: UnaryOp): (x: number) => number {
  switch (op) {
    case UnaryOp.NEG:
      return (x) => -x;
    case UnaryOp.EXP:
      return Math.exp;
    case UnaryOp.LOG:
      return Math.log;
    case UnaryOp.SQRT:
      return Math.sqrt;
    case UnaryOp.RSQRT:
      return (x) => 1 / Math.sqrt(x);
    case UnaryOp.SIGMOID:
      return (x) => 1 / (1 + Math.exp(-x));
    case UnaryOp.SILU:
      return (x) => x / (1 + Math.exp(-x));
    case UnaryOp.TANH:
      return Math.tanh;
    case UnaryOp.ABS:
      return Math.abs;
    case UnaryOp.RECIP:
      return (x) => 1 / x;
    case UnaryOp.SQUARE:
      return (x) => x * x;
    case UnaryOp.SIGN:
      return (x) => (x > 0 ? 1 : x < 0 ? -1 : 0);
    case UnaryOp.RELU:
      return (x) => (x > 0 ? x : 0);
    case UnaryOp.COPY:
      return (x) => x;
  }
  throw new Error(`unary: unknown op code ${String(op)}`);
}

export function binaryFn(op: BinaryOp): (a: number, b: number) => number {
  switch (op) {
    case BinaryOp.ADD:
      return (a, b) => a + b;
    case BinaryOp.SUB:
      return (a, b) => a - b;
    case BinaryOp.MUL:
      return (a, b) => a * b;
    case BinaryOp.DIV:
      return (a, b) => a / b;
    case BinaryOp.MAX:
      return (a, b) => (a !== a || b !== b ? NaN : a >= b ? a : b);
    case BinaryOp.MIN:
      return (a, b) => (a !== a || b !== b ? NaN : a <= b ? a : b);
    case BinaryOp.POW:
      return Math.pow;
    case BinaryOp.EQ:
      return (a, b) => (a === b ? 1 : 0);
    case BinaryOp.NE:
      return (a, b) => (a !== b ? 1 : 0);
    case BinaryOp.LT:
      return (a, b) => (a < b ? 1 : 0);
    case BinaryOp.LE:
      return (a, b) => (a <= b ? 1 : 0);
    case BinaryOp.GT:
      return (a, b) => (a > b ? 1 : 0);
    case BinaryOp.GE:
      return (a, b) => (a >= b ? 1 : 0);
  }
  throw new Error(`binary: unknown op code ${String(op)}`);
}
