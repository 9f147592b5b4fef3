// Bodies: slowloris on the body. A client that trickles its body a byte at a time, never silent for
// long, cannot hold the proxy: without a valid key it is refused as soon as its headers are in (the body is
// never waited for); with one, a JSON-sized body (<= 64 KiB) must arrive whole within UPSTREAM_IDLE_TIMEOUT_MS,
// else 408 and nothing went upstream. Other clients are served meanwhile.
// (Larger or chunked uploads stream; they are cut after UPSTREAM_IDLE_TIMEOUT_MS of silence: timeouts.test.ts.)
import t from 'tap';
import { within } from '../helpers/fake-upstream';
import { request } from '../helpers/http';
import { randomKey } from '../helpers/proxy';
import { startSingleTenant } from '../helpers/stack';
import { openRaw, responses, type RawConversation } from '../helpers/raw-socket';

const IDLE_MS = 1000;

/** Writes one byte of the body every 100 ms until the proxy closes the connection. */
function trickle(conversation: RawConversation): () => void {
  const timer = setInterval(() => conversation.write('a'), 100);
  return () => clearInterval(timer);
}

async function slowUpload(port: number, key: string) {
  const conversation = await openRaw(port);
  conversation.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nX-API-Key: ${key}\r\nContent-Type: application/json\r\nContent-Length: 2000\r\n\r\n`);
  const stop = trickle(conversation);
  return { conversation, stop };
}

t.test('without a valid key: refused at once, the body is not waited for', async (t) => {
  const s = await startSingleTenant(t, { env: { UPSTREAM_IDLE_TIMEOUT_MS: String(IDLE_MS * 60) } });
  const { conversation, stop } = await slowUpload(s.proxy.port, randomKey('pk-wrong'));
  t.teardown(stop);
  await within(conversation.closed, 10_000, 'the connection to be closed').catch((err: Error) => t.fail(err.message));
  t.same(
    responses(conversation.received()).map((r) => r.status),
    [401],
    '401 while the body was still trickling in',
  );
  t.equal(s.up.requests.length, 0, 'nothing went upstream');
});

t.test('with a valid key: the body must arrive within the idle timeout; 408, nothing upstream', async (t) => {
  const s = await startSingleTenant(t, { env: { UPSTREAM_IDLE_TIMEOUT_MS: String(IDLE_MS) } });
  const slow = await Promise.all([slowUpload(s.proxy.port, s.clientKey), slowUpload(s.proxy.port, s.clientKey)]);
  t.teardown(() => {
    for (const u of slow) u.stop();
  });
  const served = await request(`${s.proxy.url}/v1/models`, { headers: s.auth });
  t.equal(served.status, 200, 'another client is served while the slow ones trickle');
  for (const { conversation } of slow) {
    await within(conversation.closed, 20_000, 'the slow client to be let go').catch((err: Error) => t.fail(err.message));
    const [answer] = responses(conversation.received());
    t.equal(answer?.status, 408, '408 although a byte arrived every 100 ms');
    t.match(JSON.parse(answer?.body || '{}'), { error: { type: 'proxy_error', code: 'request_timeout' } });
  }
  t.same(
    s.up.requests.map((r) => r.url),
    ['/v1/models'],
    'only the other client reached the upstream',
  );
});
