// The limits part of the rendered config, checked by the proxy's own code while the proxy does not run it yet
// (render-then-run-limits.test.ts runs the whole proxy once it does): the limits section and every client's
// limits and allowedModels of each limits values file parse without a problem, and the store's files laid out
// where the chart mounts them (URL, ACL user and password from one Secret, the CA from another) connect the
// proxy's Redis client to a real redis-server with TLS as that user.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { Problems } from '../../src/config/checks';
import { checkUsdLimitsHavePrices, parseAllowedModels, parseClientLimits, parseLimitsConfig } from '../../src/config/limits';
import { CA_PEM, randomKey } from '../helpers/proxy';
import { startRedis } from '../helpers/redis-server';
import { tempDir } from '../helpers/tmp';
import { openClient } from '../redis/real-client';
import { CI_VALUES, find, render } from './helm';
import { layOutProxy } from './pod-layout';

for (const file of CI_VALUES.filter((f) => f.includes('limits'))) {
  t.test(`${file}: the proxy's parsers accept the limits settings`, async (t) => {
    const config = parse(find(render({ values: [file] }), 'ConfigMap').data['config.yaml']);
    const problems = new Problems();
    const limits = parseLimitsConfig(config.limits, {}, problems);
    const clients = (config.clients as Record<string, unknown>[]).map((c, i) => ({
      setting: `clients[${i}]`,
      limits: parseClientLimits(c.limits, `clients[${i}].limits`, problems),
      allowedModels: parseAllowedModels(c.allowedModels, `clients[${i}].allowedModels`, problems),
    }));
    checkUsdLimitsHavePrices(clients, limits, problems);
    t.same(problems.list, [], 'no problem');
    t.ok(limits.redis, 'a Redis store');
    t.ok(
      clients.every((c) => c.limits),
      'every client has its limits',
    );
  });
}

t.test("the store's files, as the chart mounts them, connect over TLS as the ACL user", async (t) => {
  const user = { name: 'openai-proxy', password: randomKey('redis-password') };
  const redis = await startRedis(t, { tls: true, user });
  const objs = render({ values: ['chart/ci/service-limits-redis-values.yaml'] });
  const { env } = layOutProxy(objs, join(tempDir(t), 'pod'), {
    'openai-proxy-keys': { 'openai-api-key': randomKey('sk-test-upstream'), 'proxy-api-key': randomKey('pk-test') },
    'bob-openai-proxy': { 'proxy-api-key': randomKey('pk-test-bob') },
    'openai-proxy-redis': { url: `${redis.url}/0\n`, username: `${user.name}\n`, password: `${user.password}\n` },
    'openai-proxy-redis-ca': { 'ca.crt': readFileSync(CA_PEM, 'utf8') },
  });
  const store = parse(readFileSync(env.PROXY_CONFIG!, 'utf8')).limits.store.redis;
  const read = (ref: { file: string }) => readFileSync(ref.file, 'utf8').trim();
  const { client, connected } = openClient(t, {
    url: read(store.url),
    caFile: store.caFile,
    username: () => read(store.username),
    password: () => read(store.password),
  });
  await connected();
  t.equal(String(await client.send(['ACL', 'WHOAMI'])), user.name, 'signed in as the user of the Secret');
  // This process trusts the test CA anyway (NODE_EXTRA_CA_CERTS): render-then-run-limits runs a proxy without it.
  t.equal(readFileSync(store.caFile, 'utf8'), readFileSync(CA_PEM, 'utf8'), "caFile is the CA Secret's file");
});
