// usage.streamUsage: inject. A streamed chat request that did not ask for usage goes upstream asking for it,
// with every other byte as the client sent it, and the client receives exactly the stream it would have received
// without it; the proxy counts the exact usage. A client that asked gets everything untouched.
import t from 'tap';
import { usageStream } from '../helpers/fake-upstream';
import { request } from '../helpers/http';
import { noKeyLeak, startSingleTenant } from '../helpers/stack';

// Odd spacing, an escape and key order the proxy must not normalise.
const BODY = '{ "messages" : [ {"role":"user","content":"\\u0048i"} ],\n  "stream":true , "model":"gpt-4.1-mini"}';
const WITHOUT_USAGE = usageStream('chat-completions', { stream: true }).join('');
const WITH_USAGE = usageStream('chat-completions', { stream: true, stream_options: { include_usage: true } }).join('');

const chat = (url: string, auth: Record<string, string>, body: string) =>
  request(`${url}/v1/chat/completions`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body });

t.test('inject: the upstream is asked for usage, the client gets the stream without it, the count is exact', async (t) => {
  const s = await startSingleTenant(t, { env: { PROXY_STREAM_USAGE: 'inject' } });
  const res = await chat(s.proxy.url, s.auth, BODY);
  t.equal(res.status, 200);
  t.equal(res.text, WITHOUT_USAGE, 'the client stream, byte for byte, is the one it would get without usage');
  t.notMatch(res.text, /"usage"/, 'no usage member and no usage chunk reach the client');
  const sent = s.up.lastRequest()!.body.toString('utf8');
  t.not(sent, BODY, 'the body went upstream changed');
  t.same(JSON.parse(sent).stream_options, { include_usage: true }, 'asking for usage');
  t.equal(sent.replace(',"stream_options":{"include_usage":true}', ''), BODY, 'and nothing else changed');
  t.equal(Number(s.up.lastRequest()!.headers['content-length']), Buffer.byteLength(sent), 'with its new length');
  t.equal(s.up.lastRequest()!.headers['accept-encoding'], 'identity', 'uncompressed, so the stream can be read');
  const line = await s.proxy.waitForLog((l) => l.event === 'request');
  t.same(line.usage, { input: 9, output: 5, cachedInput: 0, reasoning: 0, estimated: false }, 'the exact usage is logged');
  t.equal(line.bytesOut, res.body.length, 'bytesOut counts what the client received');
  await noKeyLeak(t, s);
});

t.test('inject: a client that asked for usage gets the request and the stream untouched', async (t) => {
  const s = await startSingleTenant(t, { env: { PROXY_STREAM_USAGE: 'inject' } });
  const asked = BODY.replace('"stream":true', '"stream":true, "stream_options": {"include_usage": true}');
  const res = await chat(s.proxy.url, s.auth, asked);
  t.equal(res.text, WITH_USAGE, 'the stream with its usage chunk, as the upstream sent it');
  t.equal(s.up.lastRequest()!.body.toString('utf8'), asked, 'the body as sent');
  t.match(await s.proxy.waitForLog((l) => l.event === 'request'), { usage: { input: 9, output: 5, estimated: false } });
});

t.test('inject: the SDK streams as usual and sees no usage chunk', async (t) => {
  const s = await startSingleTenant(t, { env: { PROXY_STREAM_USAGE: 'inject' } });
  const stream = await s.sdk().chat.completions.create({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'hi' }], stream: true });
  let text = '';
  let chunks = 0;
  for await (const chunk of stream) {
    chunks++;
    t.equal(chunk.usage, undefined, 'no chunk carries a usage member');
    text += chunk.choices[0]?.delta.content ?? '';
  }
  t.equal(text, 'Hello from the fake upstream.');
  t.equal(chunks, 7, 'every content chunk, no usage chunk');
  t.match(await s.proxy.waitForLog((l) => l.event === 'request'), { usage: { input: 9, output: 5, estimated: false } });
});

t.test('passthrough: the request goes as sent and the stream is estimated', async (t) => {
  const s = await startSingleTenant(t, { env: { PROXY_STREAM_USAGE: 'passthrough' } });
  const res = await chat(s.proxy.url, s.auth, BODY);
  t.equal(res.text, WITHOUT_USAGE);
  t.equal(s.up.lastRequest()!.body.toString('utf8'), BODY, 'the body as sent');
  const line = await s.proxy.waitForLog((l) => l.event === 'request');
  // Input: ceil(bytes / 4) of the body; output: the content deltas streamed (the role-only first chunk is none).
  t.same(line.usage, { input: Math.ceil(Buffer.byteLength(BODY) / 4), output: 5, cachedInput: 0, reasoning: 0, estimated: true });
  const metrics = (await request(`${s.proxy.adminUrl}/metrics`)).text;
  t.match(metrics, /^openai_proxy_tokens_estimated_total\{[^}]*kind="output"[^}]*\} 5$/m, 'the estimate is in tokens_estimated_total');
});

t.test('auto: a local upstream is not api.openai.com, so its requests go as sent', async (t) => {
  const s = await startSingleTenant(t);
  await chat(s.proxy.url, s.auth, BODY);
  t.equal(s.up.lastRequest()!.body.toString('utf8'), BODY);
});
