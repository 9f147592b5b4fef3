// A credential is refreshed when a third of its lifetime is left: with 15-second tokens, the next exchange comes
// no earlier than 10 s after the last (timers never fire early) and before the token expires, so requests made
// all along never meet a gap; each new access token replaces the old one upstream.
import t from 'tap';
import { sleep } from '../helpers/fake-upstream';
import { request } from '../helpers/http';
import { startKeyless } from '../helpers/keyless';

t.test('short-lived tokens: refreshed at a third left, no request without a credential', async (t) => {
  const k = await startKeyless(t, { answers: [{ token: { expiresIn: 15 } }, { token: { expiresIn: 15 } }, { token: { expiresIn: 15 } }] });
  const statuses: number[] = [];
  const until = Date.now() + 21_000;
  while (Date.now() < until) {
    statuses.push((await request(`${k.proxy.url}/v1/models`, { headers: k.auth })).status);
    await sleep(250);
  }
  const exchanges = k.tokens.exchanges;
  t.ok(exchanges.length >= 3, `three exchanges in 21 s of 15 s tokens (${exchanges.length})`);
  for (let i = 1; i < 3; i++) {
    const gap = exchanges[i]!.receivedAt - exchanges[i - 1]!.receivedAt;
    t.ok(gap >= 9900, `exchange ${i} came after two thirds of the lifetime (${gap} ms)`);
    t.ok(gap < 15_000, `exchange ${i} came before the token expired (${gap} ms)`);
  }
  t.same([...new Set(statuses)], [200], `every one of ${statuses.length} requests succeeded`);
  const used = new Set(k.up.requests.map((r) => r.headers.authorization));
  t.ok(
    k.tokens.issued.slice(0, 3).every((token) => used.has(`Bearer ${token}`)),
    'each token issued was used upstream in turn',
  );
  t.equal(k.tokens.maxConcurrent, 1, 'never two exchanges at once');
  const triggers = k.proxy.logs.filter((l) => l.event === 'credential_refresh').map((l) => l.trigger);
  t.same(triggers.slice(0, 3), ['start', 'schedule', 'schedule']);
});
