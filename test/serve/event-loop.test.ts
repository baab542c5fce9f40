/**
 * Requests that could never fit are refused before tokenizing (issue 17, defect 5): a 400k-digit
 * message and 20,000 short messages get their 400 context_length_exceeded from cheap bounds
 * (message count; bytes over the longest token's bytes), so the event loop is not blocked for
 * seconds and /health keeps answering. Asserted as event-loop delay with a wide margin (1 s
 * against the seconds the old path took), so a loaded machine does not make it flaky.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { MODEL_ID, startStack } from './fixture.js';

const stack = await startStack({ maxContext: 512, serve: { maxBodyBytes: 4 << 20 } });
after(() => stack.server.close());

for (const [name, messages] of [
  ['a 400,000-digit message', [{ role: 'user', content: '7'.repeat(400_000) }]],
  ['20,000 short messages', Array.from({ length: 20_000 }, () => ({ role: 'user', content: 'What is 2 + 2?' }))],
] as const) {
  test(`${name}: 400 context_length_exceeded without blocking the event loop`, async () => {
    const h = monitorEventLoopDelay({ resolution: 10 });
    h.enable();
    const health = (async () => {
      const worst: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        assert.equal((await fetch(`${stack.server.url}/health`)).status, 200);
        worst.push(performance.now() - t0);
      }
      return Math.max(...worst);
    })();
    const r = await fetch(`${stack.server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL_ID, messages }),
    });
    const j = (await r.json()) as { error: { code: string } };
    await health;
    h.disable();
    assert.equal(r.status, 400);
    assert.equal(j.error.code, 'context_length_exceeded');
    const maxLagMs = h.max / 1e6;
    assert.ok(maxLagMs < 1000, `the event loop was blocked for ${maxLagMs.toFixed(0)} ms`);
  });
}
