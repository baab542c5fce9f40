/**
 * From generated token ids to the two text streams DeepSeek's API returns. Three small stages:
 * - StreamDecoder: ids to text through the tokenizer's raw bytes and a streaming UTF-8 decoder, so
 *   a character split across tokens is emitted once, whole;
 * - StopMatcher: OpenAI `stop` strings, matched across token boundaries (text that might be the
 *   start of a stop string is held back until it is known not to be);
 * - ReasoningSplitter: the text between `<think>` and `</think>` is `reasoning_content`, the rest is
 *   `content` (DeepSeek API, deepseek-reasoner), both trimmed at their ends as DeepSeek's are.
 */
import type { Tokenizer } from '../tokenizer/types.js';

/** Incremental ids -> text. */
export class StreamDecoder {
  private readonly utf8 = new TextDecoder('utf-8');
  constructor(private readonly tokenizer: Tokenizer) {}
  push(token: number): string {
    return this.utf8.decode(this.tokenizer.decodeBytes([token]), { stream: true });
  }
  flush(): string {
    return this.utf8.decode();
  }
}

/** Length of the longest suffix of `s` that is a proper prefix of one of `words`. */
function partialSuffix(s: string, words: readonly string[]): number {
  let best = 0;
  for (const w of words) {
    for (let n = Math.min(w.length - 1, s.length); n > best; n--) {
      if (s.endsWith(w.slice(0, n))) {
        best = n;
        break;
      }
    }
  }
  return best;
}

/** Cuts the text at the first stop string. */
export class StopMatcher {
  private held = '';
  stopped = false;
  constructor(private readonly stops: readonly string[]) {}

  /** Text safe to emit now; sets `stopped` when a stop string was found (it is not emitted). */
  push(text: string): string {
    if (this.stopped) return '';
    const s = this.held + text;
    let cut = -1;
    for (const w of this.stops) {
      const i = s.indexOf(w);
      if (i >= 0 && (cut < 0 || i < cut)) cut = i;
    }
    if (cut >= 0) {
      this.stopped = true;
      this.held = '';
      return s.slice(0, cut);
    }
    const keep = partialSuffix(s, this.stops);
    this.held = s.slice(s.length - keep);
    return s.slice(0, s.length - keep);
  }

  /** Whatever was held back, at the end of generation. */
  flush(): string {
    const h = this.held;
    this.held = '';
    return this.stopped ? '' : h;
  }
}

const OPEN = '<think>',
  CLOSE = '</think>';

/** Text routed to the two fields. */
export interface SplitText {
  reasoning: string;
  content: string;
}

/**
 * Splits text into reasoning and content. `startInReasoning` is true when the prompt already opened
 * `<think>` (R1's forced opening); otherwise a `<think>` at the very start of the output opens it.
 */
export class ReasoningSplitter {
  state: 'start' | 'reasoning' | 'content';
  private buf = '';
  /** Whitespace held back at the end of the current field (dropped if the field ends there). */
  private pendingWs = '';
  private fieldStarted = false;

  constructor(startInReasoning: boolean) {
    this.state = startInReasoning ? 'reasoning' : 'start';
  }

  push(text: string): SplitText {
    const out: SplitText = { reasoning: '', content: '' };
    this.buf += text;
    for (;;) {
      if (this.state === 'start') {
        const t = this.buf.trimStart();
        if (t.startsWith(OPEN)) {
          this.buf = t.slice(OPEN.length);
          this.enter('reasoning');
          continue;
        }
        if (t.length === 0 || OPEN.startsWith(t)) return out; // could still become <think>
        this.enter('content');
        continue;
      }
      if (this.state === 'reasoning') {
        const i = this.buf.indexOf(CLOSE);
        if (i >= 0) {
          this.emit(out, this.buf.slice(0, i));
          this.buf = this.buf.slice(i + CLOSE.length);
          this.enter('content');
          continue;
        }
        const keep = partialSuffix(this.buf, [CLOSE]);
        this.emit(out, this.buf.slice(0, this.buf.length - keep));
        this.buf = this.buf.slice(this.buf.length - keep);
        return out;
      }
      this.emit(out, this.buf);
      this.buf = '';
      return out;
    }
  }

  /** End of output: a partial `</think>` or `<think>` left in the buffer is ordinary text. */
  flush(): SplitText {
    const out: SplitText = { reasoning: '', content: '' };
    if (this.state === 'start') this.enter('content');
    this.emit(out, this.buf);
    this.buf = '';
    return out;
  }

  private enter(state: 'reasoning' | 'content'): void {
    this.state = state;
    this.pendingWs = '';
    this.fieldStarted = false;
  }

  /** Appends text to the current field, trimming leading and (held) trailing whitespace. */
  private emit(out: SplitText, text: string): void {
    let s = this.pendingWs + text;
    if (!this.fieldStarted) s = s.trimStart();
    const body = s.trimEnd();
    this.pendingWs = s.slice(body.length);
    if (body.length === 0) return;
    this.fieldStarted = true;
    if (this.state === 'reasoning') out.reasoning += body;
    else out.content += body;
  }
}
