// deepseek-ts web chat. Plain ES module, no build step. Streams /v1/chat/completions as server-sent
// events and renders DeepSeek's two fields: `reasoning_content` into a foldable, dimmed thinking
// panel and `content` into the answer. Settings persist in localStorage; text is always inserted
// as text (never as HTML).
const $ = (id) => document.getElementById(id);
const SETTINGS = ['temperature', 'top-p', 'max-tokens', 'seed', 'system', 'api-key'];
const state = { history: [], controller: null, model: null };

function loadSettings() {
  for (const id of SETTINGS) {
    const v = localStorage.getItem(`deepseek-ts:${id}`);
    if (v !== null) $(id).value = v;
    $(id).addEventListener('change', () => localStorage.setItem(`deepseek-ts:${id}`, $(id).value));
  }
}

function headers() {
  const h = { 'content-type': 'application/json' };
  const key = $('api-key').value.trim();
  if (key) h.authorization = `Bearer ${key}`;
  return h;
}

async function loadModel() {
  try {
    const r = await fetch('/v1/models', { headers: headers() });
    const j = await r.json();
    if (!r.ok) throw new Error(j.error?.message ?? r.statusText);
    state.model = j.data[0].id;
    $('model').textContent = state.model;
  } catch (err) {
    $('model').textContent = `model unavailable: ${err.message}`;
  }
}

function bubble(role) {
  $('empty')?.remove();
  const el = document.createElement('div');
  el.className = `msg ${role}`;
  $('conversation').append(el);
  return el;
}

function scrollDown() {
  const c = $('conversation');
  c.scrollTop = c.scrollHeight;
}

function setBusy(busy) {
  $('send').hidden = busy;
  $('stop').hidden = !busy;
  $('input').disabled = busy;
}

function requestBody() {
  const messages = [];
  const system = $('system').value.trim();
  if (system) messages.push({ role: 'system', content: system });
  for (const item of state.history) messages.push(item);
  const body = { model: state.model, messages, stream: true, stream_options: { include_usage: true } };
  const num = (id) => ($(id).value === '' ? undefined : Number($(id).value));
  if (num('temperature') !== undefined) body.temperature = num('temperature');
  if (num('top-p') !== undefined) body.top_p = num('top-p');
  if (num('max-tokens') !== undefined) body.max_tokens = num('max-tokens');
  if (num('seed') !== undefined) body.seed = num('seed');
  return body;
}

/** Yields the JSON payloads of a server-sent event stream until `data: [DONE]`. */
async function* events(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buf.indexOf('\n\n')) >= 0) {
      const event = buf.slice(0, cut);
      buf = buf.slice(cut + 2);
      for (const line of event.split('\n')) {
        if (!line.startsWith('data: ')) continue;
        const data = line.slice(6);
        if (data === '[DONE]') return;
        yield JSON.parse(data);
      }
    }
  }
}

async function send(text) {
  if (!state.model) await loadModel();
  state.history.push({ role: 'user', content: text });
  bubble('user').textContent = text;

  const el = bubble('assistant');
  const thinking = document.createElement('details');
  thinking.className = 'thinking';
  thinking.open = true;
  thinking.dataset.testid = 'thinking';
  const summary = document.createElement('summary');
  summary.textContent = 'Thinking…';
  const thought = document.createElement('div');
  thought.className = 'thought';
  thinking.append(summary, thought);
  const answer = document.createElement('div');
  answer.className = 'answer';
  answer.dataset.testid = 'answer';
  const meta = document.createElement('div');
  meta.className = 'meta';
  el.append(thinking, answer, meta);
  thinking.hidden = true;

  const controller = new AbortController();
  state.controller = controller;
  setBusy(true);
  const t0 = performance.now();
  let tThinkEnd = 0,
    usage = null,
    finish = null,
    firstToken = 0;
  try {
    const res = await fetch('/v1/chat/completions', {
      method: 'POST',
      headers: headers(),
      body: JSON.stringify(requestBody()),
      signal: controller.signal,
    });
    if (!res.ok) {
      const j = await res.json().catch(() => ({}));
      throw new Error(j.error?.message ?? `HTTP ${res.status}`);
    }
    for await (const chunk of events(res)) {
      if (chunk.error) throw new Error(chunk.error.message);
      if (chunk.usage) usage = chunk.usage;
      const choice = chunk.choices?.[0];
      if (!choice) continue;
      const d = choice.delta ?? {};
      if (d.reasoning_content) {
        firstToken ||= performance.now();
        thinking.hidden = false;
        thought.textContent += d.reasoning_content;
      }
      if (d.content) {
        firstToken ||= performance.now();
        if (!tThinkEnd) {
          tThinkEnd = performance.now();
          if (!thinking.hidden) summary.textContent = `Thought for ${((tThinkEnd - t0) / 1000).toFixed(1)} s`;
        }
        answer.textContent += d.content;
      }
      if (choice.finish_reason) finish = choice.finish_reason;
      scrollDown();
    }
    if (!tThinkEnd && !thinking.hidden) summary.textContent = 'Thinking (no answer yet)';
    const secs = (performance.now() - (firstToken || t0)) / 1000;
    const parts = [];
    if (usage)
      parts.push(
        `${usage.completion_tokens} tokens`,
        `${(usage.completion_tokens / Math.max(secs, 1e-3)).toFixed(1)} tokens/s`,
      );
    if (finish) parts.push(`finish: ${finish}`);
    meta.textContent = parts.join(' · ');
  } catch (err) {
    if (err.name === 'AbortError') {
      meta.textContent = 'stopped';
      if (!tThinkEnd && !thinking.hidden) summary.textContent = 'Thinking (stopped)';
    } else {
      el.classList.add('error');
      meta.textContent = `error: ${err.message}`;
    }
  } finally {
    state.history.push({ role: 'assistant', content: answer.textContent });
    state.controller = null;
    setBusy(false);
    $('input').focus();
    scrollDown();
  }
}

function newChat() {
  state.controller?.abort();
  state.history = [];
  $('conversation').replaceChildren();
  const p = document.createElement('p');
  p.className = 'empty';
  p.id = 'empty';
  p.textContent = 'New chat. Ask something.';
  $('conversation').append(p);
  $('input').focus();
}

$('composer').addEventListener('submit', (e) => {
  e.preventDefault();
  const text = $('input').value.trim();
  if (!text || state.controller) return;
  $('input').value = '';
  void send(text);
});
$('input').addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey) {
    e.preventDefault();
    $('composer').requestSubmit();
  }
});
$('stop').addEventListener('click', () => state.controller?.abort());
$('new-chat').addEventListener('click', newChat);
$('settings-toggle').addEventListener('click', () => {
  const s = $('settings');
  s.hidden = !s.hidden;
  $('settings-toggle').setAttribute('aria-expanded', String(!s.hidden));
});
$('api-key').addEventListener('change', loadModel);
loadSettings();
void loadModel();
