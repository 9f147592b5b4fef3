// A request whose body streamed (chunked, or larger than the proxy keeps) cannot be replayed: an upstream 401
// goes back to the client as it is. The credential is still dropped and refreshed, so the next request works.
import t from 'tap';
import { Readable } from 'node:stream';
import { handlers, sendJson } from '../helpers/fake-upstream';
import { request } from '../helpers/http';
import { startKeyless } from '../helpers/keyless';

t.test('a streamed body gets the 401 as-is; the next request has the new credential', async (t) => {
  const k = await startKeyless(t);
  const revoked = k.tokens.issued[0]!;
  const defaults = handlers.defaults();
  k.up.handle = (req, res, rec) => {
    if (rec.headers.authorization === `Bearer ${revoked}`)
      return sendJson(res, 401, { error: { message: 'revoked', type: 'invalid_request_error', code: 'invalid_api_key' } });
    return defaults(req, res, rec);
  };
  const body = Readable.from([Buffer.from('{"model":"gpt-4.1-mini",'), Buffer.from('"messages":[]}')]);
  const res = await request(`${k.proxy.url}/v1/chat/completions`, { method: 'POST', headers: { ...k.auth, 'content-type': 'application/json' }, body });
  t.equal(res.status, 401, 'the 401 goes back');
  t.equal(res.json().error.message, 'revoked', "the upstream's body");
  t.equal(k.up.requests.length, 1, 'not sent again');
  await k.tokens.waitForExchanges(2);
  await k.proxy.waitForLog((l) => l.event === 'credential_refresh' && l.trigger === 'unauthorized' && l.result === 'success');
  const next = await request(`${k.proxy.url}/v1/models`, { headers: k.auth });
  t.equal(next.status, 200);
  t.ok(k.up.lastRequest()!.headers.authorization === `Bearer ${k.tokens.issued[1]}`, 'the next request carries the new credential');
});
