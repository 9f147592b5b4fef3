// Security review, medium: any upstream 401 used to drop the shared keyless credential, so a client sending
// requests the upstream refuses forced exchange after exchange, and with the token endpoint down every request got
// 503 while /readyz said ready. Now the credential stays in use until a new one is in hand, 401s start at most
// one refresh per 10 s, and /readyz is 503 only once the credential has expired with no new one.
import type { IncomingMessage, ServerResponse } from 'node:http';
import t from 'tap';
import { handlers, sendJson, sleep, type RecordedRequest } from '../helpers/fake-upstream';
import { request } from '../helpers/http';
import { startKeyless } from '../helpers/keyless';

t.test('401s provoked by a client, the token endpoint down: the old credential keeps serving', async (t) => {
  const k = await startKeyless(t);
  const defaults = handlers.defaults();
  // The upstream refuses what this client asks for (a model it may not use), not the credential.
  k.up.handle = (req: IncomingMessage, res: ServerResponse, rec: RecordedRequest) =>
    rec.url.startsWith('/v1/models/forbidden') ? sendJson(res, 401, { error: { message: 'no', code: 'invalid_api_key' } }) : defaults(req, res, rec);
  k.tokens.otherwise = { error: { status: 503 } };
  const refused: number[] = [];
  const accepted: number[] = [];
  const until = Date.now() + 3000;
  while (Date.now() < until) {
    refused.push((await request(`${k.proxy.url}/v1/models/forbidden`, { headers: k.auth })).status);
    accepted.push((await request(`${k.proxy.url}/v1/models`, { headers: k.auth })).status);
  }
  t.same([...new Set(refused)], [401], `the ${refused.length} refused requests get the upstream's 401, never a 503`);
  t.same([...new Set(accepted)], [200], `the ${accepted.length} others succeed: the valid credential was never dropped`);
  const triggers = k.proxy.logs.filter((l) => l.event === 'credential_refresh').map((l) => l.trigger);
  t.equal(triggers.filter((x) => x === 'unauthorized').length, 1, 'one refresh for all the 401s of 3 s (then its backoff retries)');
  t.equal(k.proxy.logs.filter((l) => l.event === 'credential_refused').length, 1);
  t.ok(
    k.up.requests.every((r) => r.headers.authorization === `Bearer ${k.tokens.issued[0]}`),
    'every request went with the first credential',
  );
  t.equal((await request(`${k.proxy.adminUrl}/readyz`)).status, 200, 'ready: the credential is valid');
  t.match(await k.proxy.waitForLog((l) => l.event === 'credential_refused'), { level: 'warn', credential: 'upstream', reason: 'the upstream answered 401' });
});

t.test('readiness goes only when the credential has expired and no new one could be had', async (t) => {
  const k = await startKeyless(t, { answers: [{ token: { expiresIn: 12 } }] });
  k.tokens.otherwise = { error: { status: 503 } };
  t.equal((await request(`${k.proxy.adminUrl}/readyz`)).status, 200);
  await k.proxy.waitForLog((l) => l.event === 'credential_refresh' && l.result === 'failure', 15_000);
  t.equal((await request(`${k.proxy.adminUrl}/readyz`)).status, 200, 'a failed refresh while the credential is valid: still ready');
  await sleep(3000); // past the 12 s lifetime; the refresh at 10 s failed
  const ready = await request(`${k.proxy.adminUrl}/readyz`);
  t.equal(ready.status, 503, 'expired, none in hand: not ready');
  t.match(ready.json(), { status: 'waiting_for_upstream_credential' });
  t.equal((await request(`${k.proxy.url}/v1/models`, { headers: k.auth })).status, 503, 'and requests get 503, nothing upstream');
});
