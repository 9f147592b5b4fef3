// Shared limits' values: clients[].limits (all seven) and allowedModels go into the config file as given; the
// store is limits.store.redis with a URL from values, or the URL, ACL user and password as files of a Secret
// mounted whole into the proxy container, the CA from another; prices go in whole. Without a store or prices
// there is no limits section at all (each replica counts alone, as before). The NetworkPolicy lets the proxy
// reach the store.
import t from 'tap';
import { parse } from 'yaml';
import { valuesFile } from './values-file';
import { find, podSpec, proxyContainer, render, type K8sObject } from './helm';

const SERVICE = 'chart/ci/service-values.yaml';
const LIMITS = 'chart/ci/service-limits-values.yaml';
const REDIS = 'chart/ci/service-limits-redis-values.yaml';
const configOf = (objs: K8sObject[]) => parse(find(objs, 'ConfigMap').data['config.yaml']);

t.test("a client's limits and models, as given", async (t) => {
  const bob = configOf(render({ values: [LIMITS] })).clients[0];
  t.same(bob.allowedModels, ['gpt-4.1-mini']);
  t.same(bob.limits, {
    requestsPerMinute: 600,
    tokensPerMinute: 200000,
    tokensPerDay: 2000000,
    tokensPerMonth: 50000000,
    usdPerDay: 20,
    usdPerMonth: 250,
    concurrentStreams: 20,
  });
  // Not --set: Helm reads 0.5 there as a string (--set-json, or a values file, keep numbers).
  const cents = configOf(render({ values: [LIMITS], extraArgs: ['--set-json', 'clients[0].limits.usdPerDay=0.5'] })).clients[0].limits;
  t.equal(cents.usdPerDay, 0.5, 'a fraction of a dollar stays one');
});

t.test('prices, whole', async (t) => {
  t.same(configOf(render({ values: [LIMITS] })).limits.prices, {
    'gpt-4.1-mini': { input: 0.4, cachedInput: 0.1, output: 1.6 },
    'gpt-4.1': { input: 2, cachedInput: 0.5, output: 8 },
  });
  const prices = valuesFile(t, { limits: { prices: { 'gpt-4o': { input: 2.5, output: 10 } } } });
  const alone = configOf(render({ values: [SERVICE, prices] }));
  t.same(alone.limits, { prices: { 'gpt-4o': { input: 2.5, output: 10 } } }, 'prices without a store: for the cost metric, no store');
});

t.test('no store, no prices: no limits section', async (t) => {
  const config = configOf(render({ values: [SERVICE], set: ['limits.onStoreError=deny'] }));
  t.equal(config.limits, undefined, 'onStoreError alone means nothing without a store');
});

t.test('a URL in values: the store with its defaults', async (t) => {
  const objs = render({ values: [SERVICE], set: ['limits.store.redis.url=redis://redis.ai.svc:6379/2', 'limits.store.redis.timeoutMs=250'] });
  t.same(configOf(objs).limits, {
    store: { redis: { url: 'redis://redis.ai.svc:6379/2', keyPrefix: 'openai-proxy:', timeoutMs: 250 } },
    onStoreError: 'local',
  });
  t.notOk(
    podSpec(objs).volumes.some((v: K8sObject) => v.name.startsWith('openai-proxy-redis')),
    'no Secret to mount',
  );
});

t.test("an operator's Redis: URL, user and password from a Secret, the CA from another", async (t) => {
  const objs = render({ values: [REDIS] });
  t.same(configOf(objs).limits, {
    store: {
      redis: {
        url: { file: '/var/run/secrets/openai-proxy/redis/url' },
        username: { file: '/var/run/secrets/openai-proxy/redis/username' },
        password: { file: '/var/run/secrets/openai-proxy/redis/password' },
        caFile: '/var/run/secrets/openai-proxy/redis-ca/ca.crt',
        keyPrefix: 'openai-proxy:',
        timeoutMs: 100,
      },
    },
    onStoreError: 'deny',
  });
  const spec = podSpec(objs);
  const volumes = spec.volumes.filter((v: K8sObject) => v.name.startsWith('openai-proxy-redis'));
  t.same(volumes, [
    { name: 'openai-proxy-redis', secret: { secretName: 'openai-proxy-redis', defaultMode: 0o440 } },
    { name: 'openai-proxy-redis-ca', secret: { secretName: 'openai-proxy-redis-ca', defaultMode: 0o440 } },
  ]);
  t.same(
    proxyContainer(spec).volumeMounts.filter((m: K8sObject) => m.name.startsWith('openai-proxy-redis')),
    [
      { name: 'openai-proxy-redis', mountPath: '/var/run/secrets/openai-proxy/redis', readOnly: true },
      { name: 'openai-proxy-redis-ca', mountPath: '/var/run/secrets/openai-proxy/redis-ca', readOnly: true },
    ],
  );
  const ca = configOf(render({ values: [REDIS], set: ['limits.store.redis.caKey=tls.crt'] })).limits.store.redis.caFile;
  t.equal(ca, '/var/run/secrets/openai-proxy/redis-ca/tls.crt', 'caKey names the entry');
});

t.test('the NetworkPolicy lets the proxy reach the store', async (t) => {
  const egress = (values: string, set: string[] = []) =>
    find(render({ values: [values], set: ['networkPolicy.enabled=true', ...set] }), 'NetworkPolicy').spec.egress;
  t.equal(egress(SERVICE).length, 2, 'no store: DNS and the upstream only');
  const plain = egress(SERVICE, ['limits.store.redis.url=rediss://cache.example:6380/0']);
  t.same(plain[2], { ports: [{ port: 6380, protocol: 'TCP' }] }, "the URL's port, to any address");
  t.same(egress(SERVICE, ['limits.store.redis.url=redis://cache'])[2].ports, [{ port: 6379, protocol: 'TCP' }], "Redis's port when the URL names none");
  t.same(egress(REDIS)[2].ports, [{ port: 6379, protocol: 'TCP' }], 'a URL in a Secret: networkPolicy.redisPort');
  const chosen = egress(REDIS, ['networkPolicy.redisPort=6380', 'networkPolicy.redisTo[0].ipBlock.cidr=10.1.2.0/24']);
  t.same(chosen[2], { to: [{ ipBlock: { cidr: '10.1.2.0/24' } }], ports: [{ port: 6380, protocol: 'TCP' }] });
});
