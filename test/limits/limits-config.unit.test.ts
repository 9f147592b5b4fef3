import t from 'tap';
import { Problems } from '../../src/config/checks';
import { checkRedisUrl, checkUsdLimitsHavePrices, parseAllowedModels, parseClientLimits, parseLimitsConfig } from '../../src/config/limits';

const parse = (raw: unknown, env: Record<string, string> = {}) => {
  const problems = new Problems();
  const config = parseLimitsConfig(raw, env, problems);
  return { config, problems: problems.list };
};

t.test('no limits section: memory, local, no prices', async (t) => {
  const { config, problems } = parse(undefined);
  t.same(problems, []);
  t.same(config, { redis: undefined, onStoreError: 'local', prices: {}, overridden: {} });
});

t.test('the whole section, with defaults filled in', async (t) => {
  const { config, problems } = parse({
    store: {
      redis: { url: 'rediss://redis.ai.svc:6380/0', username: { env: 'REDIS_USERNAME' }, password: { file: '/run/redis/password' }, caFile: '/etc/ca.crt' },
    },
    onStoreError: 'deny',
    prices: { 'gpt-4.1-mini': { input: 0.4, cachedInput: 0.1, output: 1.6 }, 'text-embedding-3-small': { input: 0.02, output: 0 } },
  });
  t.same(problems, []);
  t.same(config.redis, {
    url: { kind: 'value', value: 'rediss://redis.ai.svc:6380/0' },
    urlSetting: 'limits.store.redis.url',
    display: 'rediss://redis.ai.svc:6380/0',
    username: { kind: 'env', name: 'REDIS_USERNAME' },
    password: { kind: 'file', path: '/run/redis/password' },
    caFile: '/etc/ca.crt',
    keyPrefix: 'openai-proxy:',
    timeoutMs: 100,
  });
  t.equal(config.onStoreError, 'deny');
  t.same(config.prices['text-embedding-3-small'], { input: 0.02, cachedInput: 0.02, output: 0 }, 'cachedInput defaults to input');
});

t.test('the environment replaces the file, and says so', async (t) => {
  const { config, problems } = parse(
    { store: { redis: { url: 'redis://file-host', keyPrefix: 'p:', timeoutMs: 250 } } },
    { LIMITS_REDIS_URL: 'redis://app:hunter2@env-host:6379/1', LIMITS_REDIS_USERNAME: 'app', LIMITS_REDIS_PASSWORD_FILE: '/run/pw' },
  );
  t.same(problems, []);
  t.same(config.redis?.url, { kind: 'env', name: 'LIMITS_REDIS_URL' });
  t.equal(config.redis?.urlSetting, 'LIMITS_REDIS_URL');
  t.equal(config.redis?.display, 'redis://app:***@env-host:6379/1', 'the password never shows');
  t.same(config.redis?.username, { kind: 'env', name: 'LIMITS_REDIS_USERNAME' });
  t.same(config.redis?.password, { kind: 'file', path: '/run/pw' });
  t.equal(config.redis?.keyPrefix, 'p:');
  t.equal(config.redis?.timeoutMs, 250);
  t.same(config.overridden, { 'limits.store.redis.url': 'LIMITS_REDIS_URL' });
});

t.test('the environment alone configures the store', async (t) => {
  const { config, problems } = parse(undefined, { LIMITS_REDIS_URL: 'redis://redis:6379' });
  t.same(problems, []);
  t.equal(config.redis?.display, 'redis://redis:6379');
});

t.test('every problem collected, each naming its setting, no password in any', async (t) => {
  const { problems } = parse({
    store: { redis: { url: 'redis://:hunter2@host/db', caFile: '/ca', keyPrefix: 'a{b}', timeoutMs: 0, extra: 1 } },
    onStoreError: 'panic',
    prices: { m: { input: -1 }, n: 'cheap' },
    other: true,
  });
  t.same(
    problems.map((p) => p.setting),
    [
      'limits.other',
      'limits.onStoreError',
      'limits.store.redis.extra',
      'limits.store.redis.url',
      'limits.store.redis.caFile',
      'limits.store.redis.keyPrefix',
      'limits.store.redis.timeoutMs',
      'limits.prices.m.input',
      'limits.prices.m.output',
      'limits.prices.n',
    ],
  );
  t.notMatch(JSON.stringify(problems), /hunter2/);
});

t.test('a username or password without a URL, a store without one', async (t) => {
  t.same(
    parse(undefined, { LIMITS_REDIS_PASSWORD_FILE: '/pw' }).problems.map((p) => p.setting),
    ['LIMITS_REDIS_PASSWORD_FILE'],
  );
  t.same(
    parse({ store: { redis: { password: 'x' } } }).problems.map((p) => p.setting),
    ['limits.store.redis.url', 'limits.store.redis.password'],
  );
  t.same(
    parse({ store: {} }).problems.map((p) => p.setting),
    ['limits.store.redis'],
  );
  t.same(
    parse({ store: { redis: { url: { file: '/run/url', env: 'X' } } } }).problems.map((p) => p.setting),
    ['limits.store.redis.url'],
  );
});

t.test('a URL from a file is checked once read', async (t) => {
  const { config } = parse({ store: { redis: { url: { file: '/run/url' } } } });
  t.equal(config.redis?.display, 'the URL in file /run/url');
  const problems = new Problems();
  checkRedisUrl('http://:hunter2@x', 'limits.store.redis.url', problems);
  checkRedisUrl('redis://x:6379/2\n', 'limits.store.redis.url', problems);
  t.same(problems.list, [{ setting: 'limits.store.redis.url', message: 'must start with redis:// or rediss://' }]);
});

t.test("a client's limits", async (t) => {
  const problems = new Problems();
  t.same(
    parseClientLimits(
      { requestsPerMinute: 600, tokensPerMinute: 200000, tokensPerDay: 2e6, tokensPerMonth: 5e7, usdPerDay: 20, usdPerMonth: 0.5, concurrentStreams: 20 },
      'clients[0].limits',
      problems,
    ),
    {
      requestsPerMinute: 600,
      tokensPerMinute: 200000,
      tokensPerDay: 2e6,
      tokensPerMonth: 5e7,
      usdPerDay: 20,
      usdPerMonth: 0.5,
      concurrentStreams: 20,
    },
  );
  t.same(problems.list, []);
  parseClientLimits(
    { requestsPerMinute: 1.5, tokensPerDay: 0, usdPerDay: 0, usdPerMonth: 1e7, concurrentStreams: '2', tokens: 1 },
    'clients[2].limits',
    problems,
  );
  t.same(
    problems.list.map((p) => p.setting),
    [
      'clients[2].limits.tokens',
      'clients[2].limits.requestsPerMinute',
      'clients[2].limits.tokensPerDay',
      'clients[2].limits.usdPerDay',
      'clients[2].limits.usdPerMonth',
      'clients[2].limits.concurrentStreams',
    ],
  );
  t.equal(parseClientLimits(undefined, 'x', problems), undefined);
});

t.test("a client's allowed models", async (t) => {
  const problems = new Problems();
  t.same(parseAllowedModels(['gpt-4.1-mini', 'gpt-4.1', 'gpt-4.1'], 'clients[0].allowedModels', problems), ['gpt-4.1-mini', 'gpt-4.1']);
  for (const bad of [[], [''], 'gpt-4.1', [1]]) parseAllowedModels(bad, 'clients[1].allowedModels', problems);
  t.equal(problems.list.length, 4);
  t.ok(problems.list.every((p) => p.setting === 'clients[1].allowedModels'));
});

t.test('a usd budget needs prices', async (t) => {
  const problems = new Problems();
  const clients = [
    { setting: 'clients[0]', limits: { usdPerDay: 5 } },
    { setting: 'clients[1]', limits: { tokensPerDay: 5 } },
  ];
  checkUsdLimitsHavePrices(clients, parse(undefined).config, problems);
  t.same(
    problems.list.map((p) => p.setting),
    ['clients[0].limits.usdPerDay'],
  );
  const withPrices = parse({ prices: { m: { input: 1, output: 2 } } }).config;
  const none = new Problems();
  checkUsdLimitsHavePrices(clients, withPrices, none);
  t.same(none.list, []);
});
