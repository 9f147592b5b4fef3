// Was a bug: Node answered `Expect: 100-continue` with `100 Continue` before the proxy looked at the request,
// so a client with a wrong key, or a body over MAX_BODY_BYTES, was told to upload it all and only then refused.
// Now `100 Continue` comes only after the cheap refusals; a refused client gets its 4xx instead, with the
// connection closed, nothing upstream, and no body ever asked for.
import t from 'tap';
import { randomKey } from '../helpers/proxy';
import { startSingleTenant } from '../helpers/stack';
import { openRaw, responses } from '../helpers/raw-socket';

const head = (key: string, length: number) =>
  `POST /v1/audio/transcriptions HTTP/1.1\r\nHost: x\r\nX-API-Key: ${key}\r\nContent-Type: application/octet-stream\r\nContent-Length: ${length}\r\nExpect: 100-continue\r\n\r\n`;

t.test('refused before the body: no 100 Continue, a 4xx, the connection closed, nothing upstream', async (t) => {
  const s = await startSingleTenant(t, { env: { MAX_BODY_BYTES: '1000' } });
  for (const [what, key, length, status] of [
    ['wrong key', randomKey('pk-wrong'), 500, 401],
    ['body over MAX_BODY_BYTES', s.clientKey, 5000, 413],
    ['path outside the allowlist', s.clientKey, 500, 404],
  ] as const) {
    const conversation = await openRaw(s.proxy.port);
    const request = what.startsWith('path') ? head(key, length).replace('/v1/audio/transcriptions', '/v1/files') : head(key, length);
    conversation.write(request);
    await conversation.waitFor(/\r\n\r\n/, 10_000, `${what}: an answer without the body`);
    await conversation.closed;
    const answers = responses(conversation.received());
    t.same(
      answers.map((a) => a.status),
      [status],
      `${what}: ${status} and nothing before it`,
    );
    t.match(answers[0]?.head ?? '', /\r\nconnection: close/i, `${what}: the proxy closes the connection rather than read the body`);
  }
  t.equal(s.up.requests.length, 0, 'nothing went upstream');
});

t.test('accepted: 100 Continue, then the body goes upstream and the answer comes back', async (t) => {
  const s = await startSingleTenant(t);
  const conversation = await openRaw(s.proxy.port);
  t.teardown(() => conversation.destroy());
  conversation.write(head(s.clientKey, 4).replace('/v1/audio/transcriptions', '/v1/chat/completions'));
  await conversation.waitFor(/^HTTP\/1\.1 100 Continue\r\n\r\n/, 10_000, '100 Continue');
  t.equal(s.up.requests.length, 0, 'nothing upstream before the body was sent');
  conversation.write('{"a"');
  await conversation.waitFor(/HTTP\/1\.1 200 [\s\S]*\r\n\r\n/, 10_000, 'the response');
  t.same(
    responses(conversation.received())
      .map((a) => a.status)
      .slice(0, 2),
    [100, 200],
  );
  t.equal(s.up.lastRequest()?.body.toString(), '{"a"', 'the body arrived upstream');
});
