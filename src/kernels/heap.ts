/**
 * The tensor heap: hands out 64-byte-aligned blocks of the backend's linear memory.
 *
 * Tensor storage is not garbage-collected (it lives in WASM memory), so every block is freed
 * explicitly by the tensor layer's scopes and dispose(). Training and decoding loops allocate the same
 * sizes step after step, so freed blocks go to exact-size free lists and are reused first; new blocks
 * come from a bump pointer that grows the memory. When the 4 GiB wasm32 limit would be crossed, the
 * smallest larger free block is reused; past that, allocation fails with an error that says how much
 * was asked for and how much is live.
 */
import type { Backend } from './backend.js';

const ALIGN = 64;
const WASM32_LIMIT = 4 * 1024 * 1024 * 1024;

export class Heap {
  private top: number;
  private readonly free = new Map<number, number[]>();
  /** Block size by pointer, for every block handed out and not yet freed. */
  private readonly sizes = new Map<number, number>();
  private live = 0;
  private peak = 0;

  constructor(private readonly backend: Backend) {
    this.top = roundUp(backend.heapBase, ALIGN);
  }

  /** Bytes in blocks currently handed out (rounded to the block size). */
  get liveBytes(): number { return this.live; }
  /** The largest liveBytes seen. */
  get peakBytes(): number { return this.peak; }
  /** Bytes of memory the heap has touched (its high-water mark). */
  get reservedBytes(): number { return this.top; }

  /** A block of at least `bytes` bytes; its contents are unspecified. */
  alloc(bytes: number): number {
    const size = roundUp(Math.max(bytes, 1), ALIGN);
    let ptr = this.free.get(size)?.pop();
    let blockSize = size;
    if (ptr === undefined) {
      if (this.top + size <= WASM32_LIMIT) {
        ptr = this.top;
        this.backend.ensureMemory(this.top + size);
        this.top += size;
      } else {
        const fit = this.smallestFreeAtLeast(size);
        if (fit === undefined) {
          throw new Error(`out of memory: asked for ${bytes} bytes with ${this.live} bytes live and ` +
            `${this.top} bytes reserved; wasm32 memory is limited to 4 GiB. Free tensors ` +
            '(dispose, scopes) or use a smaller model/batch.');
        }
        blockSize = fit;
        ptr = this.free.get(fit)!.pop()!;
      }
    }
    this.sizes.set(ptr, blockSize);
    this.live += blockSize;
    if (this.live > this.peak) this.peak = this.live;
    return ptr;
  }

  /** Returns a block to the heap; freeing an unknown or already-freed pointer is an error. */
  release(ptr: number): void {
    const size = this.sizes.get(ptr);
    if (size === undefined) throw new Error(`heap: pointer ${ptr} is not a live block (double free?)`);
    this.sizes.delete(ptr);
    this.live -= size;
    let list = this.free.get(size);
    if (!list) { list = []; this.free.set(size, list); }
    list.push(ptr);
  }

  private smallestFreeAtLeast(size: number): number | undefined {
    let best: number | undefined;
    for (const [s, list] of this.free) if (s >= size && list.length > 0 && (best === undefined || s < best)) best = s;
    return best;
  }
}

function roundUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}
