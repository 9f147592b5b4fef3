// The request body is not touched: every parameter, spacing, key order, unicode and unknown
// fields arrive upstream byte-for-byte (temperature, top_p, top_k, max_tokens, presence_penalty, ...).
import t from 'tap';
import { request } from '../helpers/http';
import { sha256 } from '../helpers/fake-upstream';
import { noKeyLeak, startSingleTenant } from '../helpers/stack';

const BODY =
  '{ "model":"gpt-4.1-mini",\n  "temperature": 0.70, "top_p":0.9, "top_k": 40, "max_tokens":17,' +
  '"presence_penalty":0.5,"frequency_penalty":-0.5e0,"logit_bias":{"50256":-100},"seed":12345678901234567890,' +
  '"messages":[{"role":"user","content":"h\u00e9llo \\u2028 \u2713 \ud83d\ude00 \\"quoted\\""}],' +
  '"unknown_param":{"nested":[1,2.50,3e2,null,true]},"model":"duplicate-key-kept"}\n\n';

t.test('request bodies reach the upstream byte-for-byte', async (t) => {
  const s = await startSingleTenant(t);
  const bytes = Buffer.from(BODY, 'utf8');
  const res = await request(`${s.proxy.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { ...s.auth, 'content-type': 'application/json', 'content-length': bytes.length },
    body: bytes,
  });
  t.equal(res.status, 200);
  const rec = s.up.lastRequest()!;
  t.equal(rec.bodyLength, bytes.length, 'same length');
  t.equal(rec.bodySha256, sha256(bytes), 'same bytes');
  t.equal(rec.headers['content-type'], 'application/json', 'content-type kept');

  // The SDK's body (its own serialisation of every sampling parameter) arrives as the SDK sent it.
  let sent = '';
  const client = s.sdk({
    fetch: async (url: any, init: any) => {
      sent = String(init?.body ?? '');
      return fetch(url, init);
    },
  });
  // top_k is not in OpenAI's types, but compatible upstreams (vLLM) take it.
  const params: any = {
    model: 'gpt-4.1-mini',
    messages: [{ role: 'user', content: 'hi' }],
    temperature: 0.3,
    top_p: 0.95,
    max_tokens: 5,
    presence_penalty: 0.1,
    top_k: 20,
  };
  await client.chat.completions.create(params);
  t.equal(s.up.lastRequest()!.body.toString('utf8'), sent, 'the SDK body arrives unchanged');
  t.match(sent, /"top_k":20/, 'top_k was in the body');
  await noKeyLeak(t, s);
});
