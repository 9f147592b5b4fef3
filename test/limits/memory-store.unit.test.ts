import t from 'tap';
import type { ClientLimits } from '../../src/config/limits';
import { MemoryLimits } from '../../src/limits/memory';
import { Plan } from '../../src/limits/plan';
import type { Ticket, Verdict } from '../../src/limits/types';

const DAY = 86_400_000;
const START = Date.UTC(2026, 11, 6, 12, 0, 0); // 2026-12-06 12:00 UTC

function store(limits: ClientLimits, start = START) {
  const clock = { now: start };
  const limitsStore = new MemoryLimits([new Plan('bob', limits, 'p:')], () => clock.now);
  const admit = (tokens = 0, usd = 0, stream = false) => limitsStore.admit('bob', { stream, reserve: { tokens, usd } }) as Verdict;
  const ticket = (v: Verdict): Ticket => {
    if (!v.ok) throw new Error(`refused: ${JSON.stringify(v)}`);
    return v.ticket;
  };
  return { clock, store: limitsStore, admit, ticket };
}

t.test('a client without limits is admitted with a ticket that does nothing', async (t) => {
  const { store: s } = store({ requestsPerMinute: 1 });
  const a = s.admit('alice', { stream: true, reserve: { tokens: 1e9, usd: 1e6 } });
  const b = s.admit('alice', { stream: true, reserve: { tokens: 1e9, usd: 1e6 } });
  t.equal(a, b, 'the same frozen verdict, nothing allocated');
  t.equal(s.has('alice'), false);
  t.equal(s.has('bob'), true);
});

t.test('requests per minute: a bucket of the limit, refilled continuously', async (t) => {
  const { clock, admit } = store({ requestsPerMinute: 2 });
  t.ok(admit().ok);
  t.ok(admit().ok);
  t.same(admit(), { ok: false, limit: 'requestsPerMinute', retryAfterSeconds: 30, budget: false });
  clock.now += 29_000;
  t.same(admit(), { ok: false, limit: 'requestsPerMinute', retryAfterSeconds: 1, budget: false });
  clock.now += 1_000;
  t.ok(admit().ok, 'half a minute refills one');
  clock.now += 10 * 60_000;
  t.ok(admit().ok);
  t.ok(admit().ok);
  t.notOk(admit().ok, 'never more than the burst');
});

t.test('tokens per minute: the reservation is taken at once, capped at the limit', async (t) => {
  const { clock, admit, ticket } = store({ tokensPerMinute: 600 });
  const big = ticket(admit(5000));
  t.same(
    admit(1),
    { ok: false, limit: 'tokensPerMinute', retryAfterSeconds: 1, budget: false },
    'a body bigger than the limit passes an empty bucket, and takes it all',
  );
  big.end({ tokens: 300, usd: 0 });
  t.ok(admit(300).ok, 'settled down: the rest of the reservation is back');
  t.same(admit(300), { ok: false, limit: 'tokensPerMinute', retryAfterSeconds: 30, budget: false }, '300 tokens at 10 a second');
  clock.now += 30_000;
  t.ok(admit(300).ok);
});

t.test('settlement up: the bucket goes into debt', async (t) => {
  const { clock, admit, ticket } = store({ tokensPerMinute: 600 });
  ticket(admit(100)).end({ tokens: 1200, usd: 0 });
  t.same(
    admit(0),
    { ok: false, limit: 'tokensPerMinute', retryAfterSeconds: 61, budget: false },
    '600 in debt, plus the one token a request needs, at 10 a second',
  );
  clock.now += 60_100;
  t.ok(admit(0).ok);
});

t.test('tokens per day: a UTC calendar day, reset at midnight', async (t) => {
  const { clock, admit, ticket } = store({ tokensPerDay: 1000 }, Date.UTC(2026, 11, 6, 23, 59, 0));
  ticket(admit(900)).end({ tokens: 1000, usd: 0 });
  t.same(admit(0), { ok: false, limit: 'tokensPerDay', retryAfterSeconds: 60, budget: true }, 'retry-after is the time to midnight');
  clock.now = Date.UTC(2026, 11, 7, 0, 0, 0);
  t.ok(admit(1000).ok, 'a new day');
});

t.test('a request admitted before midnight settles into that day', async (t) => {
  const { clock, admit, ticket, store: s } = store({ tokensPerDay: 1000 }, Date.UTC(2026, 11, 6, 23, 59, 59));
  const late = ticket(admit(100));
  clock.now = Date.UTC(2026, 11, 7, 0, 0, 1);
  late.end({ tokens: 900, usd: 0 });
  const snapshot = await s.snapshot();
  t.same(snapshot.clients.bob!.tokensPerDay, { limit: 1000, used: 0, remaining: 1000, resetsAt: '2026-12-08T00:00:00Z' }, 'the new day is untouched');
});

t.test('tokens per month: reset on the 1st', async (t) => {
  const { clock, admit, ticket } = store({ tokensPerMonth: 500 }, Date.UTC(2026, 1, 27, 10, 0, 0));
  ticket(admit(500)).end({ tokens: 500, usd: 0 });
  const refused = admit(1);
  t.same(refused, { ok: false, limit: 'tokensPerMonth', retryAfterSeconds: (Date.UTC(2026, 2, 1) - clock.now) / 1000, budget: true });
  clock.now += DAY;
  t.notOk(admit(1).ok, '28 February is still February');
  clock.now = Date.UTC(2026, 2, 1);
  t.ok(admit(1).ok, '1 March');
});

t.test('money: exact in nano-dollars, day and month budgets', async (t) => {
  const { admit, ticket, store: s } = store({ usdPerDay: 0.3, usdPerMonth: 10 });
  for (let i = 0; i < 3; i++) ticket(admit(0, 0.1)).end({ tokens: 0, usd: 0.1 });
  t.same(admit(0, 0), { ok: false, limit: 'usdPerDay', retryAfterSeconds: 12 * 3600, budget: true }, '0.1 three times is exactly 0.3');
  const snapshot = await s.snapshot();
  t.same(snapshot.clients.bob!.usdPerDay, { limit: 0.3, used: 0.3, remaining: 0, resetsAt: '2026-12-07T00:00:00Z' });
  t.same(snapshot.clients.bob!.usdPerMonth, { limit: 10, used: 0.3, remaining: 9.7, resetsAt: '2027-01-01T00:00:00Z' });
});

t.test('the longest wait is named: a spent budget is not reported as a rate limit', async (t) => {
  const { admit, ticket } = store({ requestsPerMinute: 1, tokensPerDay: 10 });
  ticket(admit(5)).end({ tokens: 10, usd: 0 });
  const refused = admit(1);
  t.match(refused, { ok: false, limit: 'tokensPerDay', budget: true });
});

t.test('concurrent streams: a lease per open stream, freed at the end, once', async (t) => {
  const { admit, ticket, store: s } = store({ concurrentStreams: 2 });
  const a = ticket(admit(0, 0, true));
  ticket(admit(0, 0, true));
  t.same(admit(0, 0, true), { ok: false, limit: 'concurrentStreams', retryAfterSeconds: 1, budget: false });
  t.ok(admit(0, 0, false).ok, 'a request that does not stream holds no lease');
  a.end({ tokens: 0, usd: 0 });
  a.end({ tokens: 0, usd: 0 });
  t.same((await s.snapshot()).clients.bob!.concurrentStreams, { limit: 2, open: 1 }, 'ending twice frees one lease');
});

t.test('add() charges a session beyond its reservation and says when a budget is spent', async (t) => {
  const { admit, ticket, store: s } = store({ tokensPerDay: 1000, tokensPerMinute: 100000 });
  const session = ticket(admit(100));
  t.equal(session.add({ tokens: 50, usd: 0 }), undefined, 'within the reservation: nothing more charged');
  t.equal((await s.snapshot()).clients.bob!.tokensPerDay!.used, 100);
  t.equal(session.add({ tokens: 450, usd: 0 }), undefined);
  t.equal((await s.snapshot()).clients.bob!.tokensPerDay!.used, 500);
  t.equal(session.add({ tokens: 500, usd: 0 }), 'tokensPerDay');
  session.end({ tokens: 20, usd: 0 });
  t.equal((await s.snapshot()).clients.bob!.tokensPerDay!.used, 1020, 'the total of add() and end()');
});

t.test('the snapshot shows only the limits a client has', async (t) => {
  const { admit, store: s } = store({ requestsPerMinute: 600, tokensPerDay: 2_000_000, concurrentStreams: 20 });
  admit(1234, 0, true);
  t.same(await s.snapshot(), {
    store: 'memory',
    state: 'local',
    clients: {
      bob: {
        concurrentStreams: { limit: 20, open: 1 },
        requestsPerMinute: { limit: 600, remaining: 599 },
        tokensPerDay: { limit: 2_000_000, used: 1234, remaining: 1_998_766, resetsAt: '2026-12-07T00:00:00Z' },
      },
    },
  });
});
