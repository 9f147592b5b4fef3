// concurrentStreams is shared by the replicas, and the slots of a replica that dies are not lost: its streams hold
// leases in Redis that nobody renews once it is gone. Two streams open on replica 0 fill alice's two slots, so a
// third on replica 1 is refused; replica 0 is SIGKILLed with its streams open; within the lease time (30 s) and a
// margin, replica 1 admits a stream again.
import t from 'tap';
import { handlers, sleep } from '../helpers/fake-upstream';
import { request } from '../helpers/http';
import { startRedis } from '../helpers/redis-server';
import { startReplicas } from '../helpers/replicas';

const CLIENTS = '  - { name: alice, key: { env: ALICE_KEY }, limits: { concurrentStreams: 2 } }\n  - { name: bob, key: { env: BOB_KEY } }';
const STREAM = '{"model":"gpt-4.1-mini","stream":true,"messages":[]}';
/** The proxy's stream lease (not configurable) and room for a slow CI machine. */
const LEASE_MS = 30_000;
const MARGIN_MS = 15_000;

t.test("a killed replica's stream slots are free again once its leases lapse", async (t) => {
  const redis = await startRedis(t);
  const r = await startReplicas(t, { clients: CLIENTS, redis });
  // Headers and one event, then silence with the connection open: the stream stays open until its replica dies.
  r.up.handle = handlers.stallMidStream(1);
  const open = [r.call(0, r.keys.alice, STREAM), r.call(0, r.keys.alice, STREAM)];
  for (const held of open) held.catch(() => {}); // they end with replica 0
  await r.up.waitForRequest(() => r.up.requests.length === 2);

  const refused = await r.call(1, r.keys.alice, STREAM);
  t.equal(refused.status, 429, 'a third stream, on another replica, is refused');
  t.match(refused.json(), { error: { type: 'proxy_error', code: 'rate_limit_exceeded', message: /concurrentStreams/ } });
  t.equal(r.up.requests.length, 2, 'nothing of it went upstream');
  for (const [i, p] of r.proxies.entries()) {
    const doc = (await request(`${p.adminUrl}/limits`)).json();
    t.same(doc.clients.alice, { concurrentStreams: { limit: 2, open: 2 } }, `replica ${i} reads both open streams`);
  }

  /** Polls replica i's /limits until alice has `count` streams open (an ended stream's lease is freed just after). */
  const openStreams = async (i: number, count: number) => {
    for (const until = Date.now() + 10_000; Date.now() < until; await sleep(20)) {
      const doc = (await request(`${r.proxies[i]!.adminUrl}/limits`)).json();
      if (doc.clients.alice.concurrentStreams.open === count) return true;
    }
    return false;
  };
  r.proxies[0]!.child.kill('SIGKILL');
  await r.proxies[0]!.exited;
  t.equal(r.proxies[0]!.child.signalCode, 'SIGKILL', 'replica 0 died without a chance to free anything');
  // Streams admitted from now on end at once.
  r.up.handle = handlers.slowSse(1, 0);
  const deadline = Date.now() + LEASE_MS + MARGIN_MS;
  const statuses: number[] = [];
  let admitted: Awaited<ReturnType<typeof r.call>> | undefined;
  while (!admitted && Date.now() < deadline) {
    const res = await r.call(1, r.keys.alice, STREAM);
    statuses.push(res.status);
    if (res.status === 200) admitted = res;
    else await sleep(500);
  }
  t.ok(admitted, `replica 1 admits a stream within ${(LEASE_MS + MARGIN_MS) / 1000} s of the kill (statuses seen: ${[...new Set(statuses)].join(', ')})`);
  t.ok(
    statuses.every((s) => s === 200 || s === 429),
    'until then, refusals and nothing else',
  );
  t.match(admitted?.text, /data: \[DONE\]/, 'the admitted stream went through whole');
  t.ok(await openStreams(2, 0), 'no stream open once it ended: the lapsed leases are gone too');
  const both = await Promise.all([r.call(1, r.keys.alice, STREAM), r.call(2, r.keys.alice, STREAM)]);
  t.same(
    both.map((res) => res.status),
    [200, 200],
    'both slots are free, on either live replica',
  );
});
