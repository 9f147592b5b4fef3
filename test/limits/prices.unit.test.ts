import t from 'tap';
import { costNano, costUsd, warnOncePerModel } from '../../src/limits/prices';

const prices = {
  'gpt-4.1-mini': { input: 0.4, cachedInput: 0.1, output: 1.6 },
  'text-embedding-3-small': { input: 0.02, cachedInput: 0.02, output: 0 },
  odd: { input: 0.0375, cachedInput: 0.0375, output: 0.000001 },
};

t.test('the formula: uncached input, cached input, output, per 1M tokens', async (t) => {
  // (1000 - 200) x 0.40 + 200 x 0.10 + 500 x 1.60 = 320 + 20 + 800 = 1140 per 1M = 0.00114
  t.equal(costUsd(prices, 'gpt-4.1-mini', { input: 1000, cachedInput: 200, output: 500 }), 0.00114);
  t.equal(costUsd(prices, 'gpt-4.1-mini', { input: 1_000_000, output: 1_000_000 }), 2);
  t.equal(costUsd(prices, 'text-embedding-3-small', { input: 1, output: 0 }), 0.00000002, 'a single token: 20 nano-dollars');
});

t.test('rounded up to whole nano-dollars, never down to free', async (t) => {
  t.equal(costNano(prices.odd, { input: 1, output: 0 }), 38, '37.5 nano-dollars a token, rounded up');
  t.equal(costNano(prices.odd, { input: 0, output: 1 }), 1, 'a millionth of a dollar per 1M tokens still costs one nano-dollar');
  t.equal(costNano(prices.odd, { input: 2, output: 0 }), 75);
});

t.test('sums of costs are exact', async (t) => {
  let total = 0;
  for (let i = 0; i < 1000; i++) total += costNano(prices['gpt-4.1-mini'], { input: 250, output: 0 });
  t.equal(total, 100_000_000, '1000 x 250 tokens x 0.40 per 1M = 0.1 USD, exactly');
});

t.test('cached input above input is capped; a model without a price costs 0 and is reported once', async (t) => {
  t.equal(costUsd(prices, 'gpt-4.1-mini', { input: 100, cachedInput: 500, output: 0 }), 0.00001, 'all 100 at the cached price');
  const warned: string[] = [];
  const unpriced = warnOncePerModel((m) => warned.push(m));
  t.equal(costUsd(prices, 'gpt-5', { input: 10, output: 10 }, unpriced), 0);
  t.equal(costUsd(prices, 'gpt-5', { input: 10, output: 10 }, unpriced), 0);
  t.equal(costUsd(prices, undefined, { input: 10, output: 10 }, unpriced), 0);
  t.same(warned, ['gpt-5']);
});
