// The official openai SDK's chat completion works through the proxy, headers and all.
import t from 'tap';
import { noKeyLeak, startSingleTenant } from '../helpers/stack';

t.test('SDK chat.completions.create', async (t) => {
  const s = await startSingleTenant(t);
  const { data, response } = await s
    .sdk()
    .chat.completions.create({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'Say hello' }], temperature: 0.2 })
    .withResponse();
  t.equal(data.object, 'chat.completion');
  t.equal(data.choices[0].message.content, 'Hello from the fake upstream.');
  const rec = s.up.lastRequest()!;
  t.equal(rec.method, 'POST');
  t.equal(rec.url, '/v1/chat/completions');
  t.equal(JSON.parse(rec.body.toString()).temperature, 0.2);
  t.equal(response.headers.get('x-request-id'), rec.requestId, 'x-request-id comes back');
  t.equal(response.headers.get('openai-processing-ms'), '42');
  await noKeyLeak(t, s);
});
