// permessage-deflate negotiated end to end: the compressed response.done is read on a copy and counted, frames
// pass as the upstream compressed them; a 2 MiB message is relayed whole but not read (counted as unread).
import t from 'tap';
import { WebSocket } from 'ws';
import { startFakeRealtime } from '../helpers/fake-realtime';
import { request } from '../helpers/http';
import { randomKey, startProxy } from '../helpers/proxy';

t.test('compressed usage is counted, a large message relayed unread', async (t) => {
  const up = await startFakeRealtime(t, { perMessageDeflate: true });
  const clientKey = randomKey('pk-test-client');
  const proxy = await startProxy(t, { upstream: up.url, env: { OPENAI_API_KEY: randomKey('sk-test-upstream'), PROXY_X_API_KEY: clientKey } });
  const client = new WebSocket(`ws://127.0.0.1:${proxy.port}/v1/responses`, { headers: { 'x-api-key': clientKey }, perMessageDeflate: true });
  const server = await up.nextSession();
  await new Promise((resolve) => client.once('open', resolve));
  t.match(client.extensions, /permessage-deflate/, 'compression negotiated through the proxy');
  const messages: string[] = [];
  client.on('message', (data) => messages.push(String(data)));
  const big = JSON.stringify({ type: 'response.output_text.delta', delta: 'x'.repeat(2 * 1024 * 1024) });
  const done = JSON.stringify({
    type: 'response.completed',
    response: { model: 'gpt-5', usage: { input_tokens: 40, output_tokens: 9, output_tokens_details: { reasoning_tokens: 3 } } },
  });
  server.send(big);
  server.send(done);
  while (messages.length < 2) await new Promise((resolve) => setTimeout(resolve, 20));
  t.equal(messages[0]!.length, big.length, 'the 2 MiB message arrived whole');
  t.equal(messages[1], done);
  client.close();
  const line = await proxy.waitForLog((l) => l.event === 'request' && l.status === 101);
  t.same(line.usage, { input: 40, output: 9, cachedInput: 0, reasoning: 3, estimated: false });
  t.equal(line.model, 'gpt-5', 'the model from the response, when the query names none');
  const metrics = (await request(`${proxy.adminUrl}/metrics`)).text;
  t.match(metrics, /^openai_proxy_websocket_unread_messages_total\{client="default",reason="[a-z_]+"\} 1$/m, 'the large message counted as unread');
});
