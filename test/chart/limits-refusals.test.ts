// What the chart cannot render for the shared limits, or the proxy would refuse at start, is refused by the
// schema or a template guard, with a message naming the value.
import t from 'tap';
import { renderFails } from './helm';
import { valuesFile } from './values-file';

const SERVICE = 'chart/ci/service-values.yaml';
const LIMITS = 'chart/ci/service-limits-values.yaml';
const REDIS = 'chart/ci/service-limits-redis-values.yaml';
type Values = Record<string, unknown>;
const client = (more: Values) => ({ clients: [{ name: 'bob', existingSecret: 'bob-openai-proxy', ...more }] });
const redis = (more: Values) => ({ limits: { store: { redis: more } } });

const refusals: [string, string, Values, RegExp][] = [
  ['a fractional request limit', SERVICE, client({ limits: { requestsPerMinute: 1.5 } }), /limits\/requestsPerMinute/],
  ['a token limit of 0', SERVICE, client({ limits: { tokensPerDay: 0 } }), /limits\/tokensPerDay/],
  ['a month limit that is text', SERVICE, client({ limits: { tokensPerMonth: 'lots' } }), /limits\/tokensPerMonth/],
  ['a stream limit of 0', SERVICE, client({ limits: { concurrentStreams: 0 } }), /limits\/concurrentStreams/],
  ['a usd budget of 0', LIMITS, client({ limits: { usdPerDay: 0 } }), /limits\/usdPerDay/],
  ['a negative usd budget', LIMITS, client({ limits: { usdPerMonth: -5 } }), /limits\/usdPerMonth/],
  ['an unknown limit (a typo)', SERVICE, client({ limits: { tokensPerHour: 5 } }), /tokensPerHour/],
  ['a usd budget without prices', SERVICE, client({ limits: { usdPerDay: 20 } }), /"bob" has a usd limit, which needs limits.prices/],
  ['no allowed model at all', SERVICE, client({ allowedModels: [] }), /allowedModels/],
  ['an empty model name', SERVICE, client({ allowedModels: [' '] }), /allowedModels\/0/],
  ['a price without output', SERVICE, { limits: { prices: { 'gpt-4.1': { input: 2 } } } }, /prices\/gpt-4.1.*output/],
  ['a negative price', SERVICE, { limits: { prices: { 'gpt-4.1': { input: -1, output: 8 } } } }, /prices\/gpt-4.1\/input/],
  ['an unknown price field', SERVICE, { limits: { prices: { 'gpt-4.1': { input: 2, output: 8, reasoning: 8 } } } }, /reasoning/],
  ['an unknown onStoreError', SERVICE, { limits: { onStoreError: 'ignore' } }, /onStoreError/],
  ['a URL with a password in values', SERVICE, redis({ url: 'redis://:hunter2@redis:6379' }), /limits\/store\/redis\/url/],
  ['a URL that is not redis', SERVICE, redis({ url: 'http://redis:6379' }), /limits\/store\/redis\/url/],
  ['a timeout of 0', SERVICE, redis({ url: 'redis://redis', timeoutMs: 0 }), /timeoutMs/],
  ['a key prefix with a brace', SERVICE, redis({ url: 'redis://redis', keyPrefix: 'a{b}' }), /keyPrefix/],
  ['both url and urlKey', REDIS, redis({ url: 'redis://redis' }), /set url .* or urlKey .*, not both/],
  [
    'a password entry without its Secret',
    SERVICE,
    redis({ url: 'redis://redis', passwordKey: 'password' }),
    /passwordKey names an entry of limits.store.redis.existingSecret, which is not set/,
  ],
  [
    'a Secret with no entry named',
    SERVICE,
    redis({ url: 'redis://redis', existingSecret: 'creds' }),
    /existingSecret is set but none of urlKey, usernameKey, passwordKey/,
  ],
  ['a Secret but no URL', SERVICE, redis({ existingSecret: 'creds', passwordKey: 'password' }), /a Secret is given but no URL/],
  ['a CA for plain redis://', SERVICE, redis({ url: 'redis://redis', caSecret: 'ca' }), /caSecret is for TLS: the url must start with rediss:\/\//],
  ['redis.deploy with a URL', SERVICE, { ...redis({ url: 'redis://redis' }), redis: { deploy: true } }, /redis.deploy: true runs a Redis of the release's own/],
  ['redis.deploy with a password', REDIS, { redis: { deploy: true } }, /remove limits.store.redis.url, urlKey, existingSecret and caSecret/],
  ['an unknown redis setting', SERVICE, { redis: { deploy: true, persistence: true } }, /persistence/],
  ['redis.deploy without an image', SERVICE, { redis: { deploy: true, image: '' } }, /redis\/image/],
];

for (const [name, file, values, message] of refusals) {
  t.test(name, async (t) => {
    t.match(renderFails({ values: [file, valuesFile(t, values)] }), message);
  });
}
