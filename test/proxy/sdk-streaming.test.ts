// Chat completion streaming through the SDK: every chunk and the usage chunk arrive.
import t from 'tap';
import { noKeyLeak, startSingleTenant } from '../helpers/stack';

t.test('SDK chat.completions.create({ stream: true })', async (t) => {
  const s = await startSingleTenant(t);
  const stream = await s.sdk().chat.completions.create({
    model: 'gpt-4.1-mini',
    messages: [{ role: 'user', content: 'Say hello' }],
    stream: true,
    stream_options: { include_usage: true },
  });
  let text = '';
  let chunks = 0;
  let usage: unknown;
  let finish: string | null | undefined;
  for await (const chunk of stream) {
    chunks++;
    text += chunk.choices[0]?.delta?.content ?? '';
    finish = chunk.choices[0]?.finish_reason ?? finish;
    if (chunk.usage) usage = chunk.usage;
  }
  t.equal(text, 'Hello from the fake upstream.');
  t.equal(chunks, 8, 'all recorded chunks arrived');
  t.equal(finish, 'stop');
  t.match(usage, { total_tokens: 14 });
  t.equal(JSON.parse(s.up.lastRequest()!.body.toString()).stream, true);

  // The helper that accumulates the final completion works too.
  const runner = s.sdk().chat.completions.stream({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'again' }] });
  const final = await runner.finalChatCompletion();
  t.equal(final.choices[0].message.content, 'Hello from the fake upstream.');
  await noKeyLeak(t, s);
});
