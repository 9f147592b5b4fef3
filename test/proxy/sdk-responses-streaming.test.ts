// The Responses API, plain and streaming (response.created ... response.completed).
import t from 'tap';
import { noKeyLeak, startSingleTenant } from '../helpers/stack';

t.test('SDK responses.create, with and without stream', async (t) => {
  const s = await startSingleTenant(t);
  const client = s.sdk();

  const plain = await client.responses.create({ model: 'gpt-4.1-mini', input: 'Say hello' });
  t.equal(plain.output_text, 'Hello from the fake upstream.');

  const types: string[] = [];
  let text = '';
  for await (const event of await client.responses.create({ model: 'gpt-4.1-mini', input: 'Say hello', stream: true })) {
    types.push(event.type);
    if (event.type === 'response.output_text.delta') text += event.delta;
  }
  t.equal(types[0], 'response.created');
  t.equal(types[types.length - 1], 'response.completed');
  t.equal(types.length, 13, 'every recorded event arrived');
  t.equal(text, 'Hello from the fake upstream.');

  const final = await client.responses.stream({ model: 'gpt-4.1-mini', input: 'Say hello' }).finalResponse();
  t.equal(final.status, 'completed');
  t.equal(final.output_text, 'Hello from the fake upstream.');
  t.equal(s.up.lastRequest()!.url, '/v1/responses');
  await noKeyLeak(t, s);
});
