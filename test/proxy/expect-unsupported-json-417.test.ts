// Was a bug: an `Expect` other than 100-continue got Node's own bare 417 (an empty chunked body) instead
// of an error in the proxy's JSON shape like every other refusal. Now: 417 expectation_failed, connection
// closed, nothing upstream; and the proxy keeps serving.
import t from 'tap';
import { within } from '../helpers/fake-upstream';
import { request } from '../helpers/http';
import { startSingleTenant } from '../helpers/stack';
import { openRaw, responses } from '../helpers/raw-socket';

t.test('Expect: something-else -> JSON 417, nothing upstream', async (t) => {
  const s = await startSingleTenant(t);
  for (const [version, expect] of [
    ['1.1', 'something-else'],
    ['1.1', '200-ok'],
    ['1.0', 'something-else'],
  ]) {
    const conversation = await openRaw(s.proxy.port);
    conversation.write(`POST /v1/chat/completions HTTP/${version}\r\nHost: x\r\nX-API-Key: ${s.clientKey}\r\nContent-Length: 2\r\nExpect: ${expect}\r\n\r\n{}`);
    await conversation.waitFor(/\r\n\r\n(?:\{.*\}|0\r\n\r\n)$/, 10_000, 'a complete answer');
    await within(conversation.closed, 10_000, 'the connection to close').catch((err: Error) => t.fail(err.message));
    const [answer, ...more] = responses(conversation.received());
    t.equal(answer?.status, 417, `HTTP/${version} Expect: ${expect}: 417`);
    t.match(JSON.parse(answer?.body || '{}'), { error: { type: 'proxy_error', code: 'expectation_failed', message: String } }, 'in the proxy error shape');
    t.same(more, [], 'nothing else');
  }
  t.equal(s.up.requests.length, 0, 'nothing went upstream');
  t.equal((await request(`${s.proxy.url}/health`)).status, 200, 'still serving');
});
