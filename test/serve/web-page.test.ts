/**
 * The web chat page in a real browser (playwright-core driving Debian's /usr/bin/chromium): send a
 * message, see the thinking panel fill while the answer is still empty, then the answer stream in;
 * stop a reply mid-stream (its slot is freed); start a new chat. A screenshot is kept under
 * runs/test-artifacts/serve/. Skips, saying why, when chromium is not installed (fails instead under CI=true).
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { ANSWER, THINKING, startStack, type TestStack } from './fixture.js';
import { requires } from '../helpers/requires.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = 'runs/test-artifacts/serve';
const skip = requires(CHROMIUM, existsSync(CHROMIUM), 'apt-get install -y chromium');

let stack: TestStack, endless: TestStack, context: BrowserContext, page: Page, profile: string;

before(async () => {
  if (skip) return;
  stack = await startStack({ stepDelayMs: 15 });
  endless = await startStack({ script: 'endless', maxContext: 100_000, stepDelayMs: 5 });
  profile = mkdtempSync(join(tmpdir(), 'deepseek-ts-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
    viewport: { width: 1000, height: 760 },
  });
  page = context.pages()[0] ?? (await context.newPage());
});

after(async () => {
  if (skip) return;
  await context?.close();
  await stack?.server.close();
  await endless?.server.close();
  rmSync(profile, { recursive: true, force: true });
});

test('the page streams the thinking into its panel, then the answer', { skip }, async () => {
  await page.goto(stack.server.url);
  await page.getByTestId('model').filter({ hasText: 'mock-r1' }).waitFor();
  await page.getByTestId('input').fill('What is 2 + 2?');
  await page.getByTestId('send').click();
  const thinking = page.getByTestId('thinking');
  const answer = page.getByTestId('answer');
  await thinking.filter({ hasText: 'Let me think' }).waitFor({ timeout: 10_000 });
  assert.equal(await answer.textContent(), '', 'the answer is still empty while the thinking streams');
  assert.equal(await thinking.getAttribute('open'), '', 'the panel is open while it streams');
  assert.ok(
    (await thinking.locator('.thought').textContent())!.length < THINKING.length,
    'the thinking arrives in pieces',
  );
  await page.getByTestId('send').waitFor({ timeout: 10_000 }); // Send comes back when the reply is done
  assert.equal(await thinking.locator('.thought').textContent(), THINKING);
  assert.equal(await answer.textContent(), ANSWER);
  assert.match((await thinking.locator('summary').textContent())!, /Thought for [\d.]+ s/);
  assert.match((await page.locator('.meta').textContent())!, /tokens\/s · finish: stop/);
  await thinking.locator('summary').click();
  assert.equal(await thinking.getAttribute('open'), null, 'the panel folds');
  await thinking.locator('summary').click();
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, 'web-chat.png') });
});

test('Stop ends a reply mid-stream and frees its slot; New chat clears the conversation', { skip }, async () => {
  await page.goto(endless.server.url);
  await page.getByTestId('model').filter({ hasText: 'mock-r1' }).waitFor();
  await page.getByTestId('input').fill('Count forever');
  await page.getByTestId('send').click();
  await page.getByTestId('thinking').filter({ hasText: 'Two plus two' }).waitFor({ timeout: 10_000 });
  assert.equal(endless.model.liveSlots, 1);
  await page.getByTestId('stop').click();
  await page.locator('.meta').filter({ hasText: 'stopped' }).waitFor();
  const t0 = Date.now();
  while (endless.model.liveSlots > 0 && Date.now() - t0 < 3000) await new Promise((r) => setTimeout(r, 10));
  assert.equal(endless.model.liveSlots, 0);
  await page.getByTestId('new-chat').click();
  assert.equal(await page.locator('.msg').count(), 0);
});
