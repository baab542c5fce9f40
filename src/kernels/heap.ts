/**
 * The tensor heap: hands out 64-byte-aligned blocks of the backend's linear memory.
 *
 * Tensor storage is not garbage-collected (it lives in WASM memory), so every block is freed
 * explicitly by the tensor layer's scopes and dispose(). Sizes vary from step to step (a growing
 * decode context, ragged batches), so the heap must not fragment: freed blocks merge with free
 * neighbours, a free run that reaches the top of the heap lowers the top, and allocation takes the
 * first block that fits from segregated power-of-two bins (splitting off the remainder) before
 * bumping the top and growing the memory. Past the 4 GiB wasm32 limit allocation fails with an
 * error that says how much was asked for and how much is live.
 *
 * Pointers are byte offsets below 2^32: JS code turns them into element indices with `>>> 2`
 * (an unsigned shift), never `>> 2`, which goes negative past 2 GiB.
 */
import type { Backend } from './backend.js';

const ALIGN = 64;
const WASM32_LIMIT = 4 * 1024 * 1024 * 1024;
const BINS = 27; // 64 B << 26 = 4 GiB

/** Bin of a block size: floor(log2(size / ALIGN)). */
function binOf(size: number): number {
  return Math.min(BINS - 1, 31 - Math.clz32(size / ALIGN));
}

export class Heap {
  private top: number;
  /** Free blocks: start -> size, end -> start, and per-bin sets of starts. */
  private readonly freeStart = new Map<number, number>();
  private readonly freeEnd = new Map<number, number>();
  private readonly bins: Set<number>[] = Array.from({ length: BINS }, () => new Set<number>());
  /** Block size by pointer, for every block handed out and not yet freed. */
  private readonly sizes = new Map<number, number>();
  private live = 0;
  private peak = 0;

  constructor(private readonly backend: Backend) {
    this.top = Math.ceil(backend.heapBase / ALIGN) * ALIGN;
  }

  /** Bytes in blocks currently handed out (rounded to the block size). */
  get liveBytes(): number {
    return this.live;
  }
  /** The largest liveBytes seen. */
  get peakBytes(): number {
    return this.peak;
  }
  /** Bytes of memory below the heap's top (live blocks, free blocks between them, the backend's area). */
  get reservedBytes(): number {
    return this.top;
  }

  /** A block of at least `bytes` bytes; its contents are unspecified. */
  alloc(bytes: number): number {
    const size = Math.ceil(Math.max(bytes, 1) / ALIGN) * ALIGN;
    let ptr = this.takeFree(size);
    if (ptr === undefined) {
      if (this.top + size > WASM32_LIMIT) {
        throw new Error(
          `out of memory: asked for ${bytes} bytes with ${this.live} bytes live and ` +
            `${this.top} bytes reserved; wasm32 memory is limited to 4 GiB. Free tensors ` +
            '(dispose, scopes) or use a smaller model/batch.',
        );
      }
      this.backend.ensureMemory(this.top + size);
      ptr = this.top;
      this.top += size;
    }
    this.sizes.set(ptr, size);
    this.live += size;
    if (this.live > this.peak) this.peak = this.live;
    return ptr;
  }

  /** Returns a block to the heap; freeing an unknown or already-freed pointer is an error. */
  release(ptr: number): void {
    let size = this.sizes.get(ptr);
    if (size === undefined) throw new Error(`heap: pointer ${ptr} is not a live block (double free?)`);
    this.sizes.delete(ptr);
    this.live -= size;
    let start = ptr;
    const before = this.freeEnd.get(start);
    if (before !== undefined) {
      size += start - before;
      this.removeFree(before);
      start = before;
    }
    const afterSize = this.freeStart.get(start + size);
    if (afterSize !== undefined) {
      this.removeFree(start + size);
      size += afterSize;
    }
    if (start + size === this.top) this.top = start;
    else this.addFree(start, size);
  }

  /** First fit from the smallest bin that can hold `size`, splitting off the remainder. */
  private takeFree(size: number): number | undefined {
    for (let b = binOf(size); b < BINS; b++) {
      for (const start of this.bins[b]!) {
        const have = this.freeStart.get(start)!;
        if (have < size) continue;
        this.removeFree(start);
        if (have > size) this.addFree(start + size, have - size);
        return start;
      }
    }
    return undefined;
  }

  private addFree(start: number, size: number): void {
    this.freeStart.set(start, size);
    this.freeEnd.set(start + size, start);
    this.bins[binOf(size)]!.add(start);
  }

  private removeFree(start: number): void {
    const size = this.freeStart.get(start)!;
    this.freeStart.delete(start);
    this.freeEnd.delete(start + size);
    this.bins[binOf(size)]!.delete(start);
  }
}
