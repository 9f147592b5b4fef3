// Legacy completions through the SDK, plain and streaming.
import t from 'tap';
import { noKeyLeak, startSingleTenant } from '../helpers/stack';

t.test('SDK completions.create', async (t) => {
  const s = await startSingleTenant(t);
  const client = s.sdk();
  const plain = await client.completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'Once', max_tokens: 4 });
  t.equal(plain.choices[0].text, 'Once upon a time');
  t.equal(s.up.lastRequest()!.url, '/v1/completions');
  let text = '';
  for await (const chunk of await client.completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'Once', stream: true })) {
    text += chunk.choices[0]?.text ?? '';
  }
  t.equal(text, 'Once upon a time');
  await noKeyLeak(t, s);
});
