// upstream.fallbacks and clients[].fallbackKeys: each fallback reaches the proxy's config file with its URL, its
// auth header (upstream.authHeader unless it has its own) and its key as a file of a Secret of its own, mounted
// whole into the proxy container; or, keyless, the Pod's workload identity. A client's fallback key is an entry of
// its own Secret, a Secret of its own, or its workload identity. Without fallbacks the config file is as before.
import t from 'tap';
import { parse } from 'yaml';
import { valuesFile } from './values-file';
import { find, podSpec, proxyContainer, render, type K8sObject } from './helm';

const FALLBACKS = 'chart/ci/service-fallbacks-values.yaml';
const AZURE = 'chart/ci/service-keyless-azure-values.yaml';
const configOf = (objs: K8sObject[]) => parse(find(objs, 'ConfigMap').data['config.yaml']);

t.test('PTU first, pay-as-you-go next: the config file and the mounts', async (t) => {
  const objs = render({ values: [FALLBACKS] });
  const config = configOf(objs);
  t.same(config.upstream, {
    name: 'ptu',
    baseUrl: 'https://ptu-east.openai.azure.com/openai/v1',
    authHeader: 'api-key',
    fallbacks: [
      {
        name: 'paygo',
        baseUrl: 'https://paygo-west.openai.azure.com/openai/v1',
        authHeader: 'api-key',
        apiKey: { file: '/var/run/secrets/openai-proxy/fallbacks/paygo/openai-api-key' },
      },
    ],
    fallbackOn: [429, 500, 502, 503, 504, 'connect'],
    fallbackBodyLimitBytes: 1048576,
  });
  t.same(config.clients[0].fallbackKeys, { paygo: { file: '/var/run/secrets/openai-proxy/clients/team-a/paygo-key' } }, "an entry of team-a's own Secret");
  const spec = podSpec(objs);
  t.same(
    spec.volumes.find((v: K8sObject) => v.name === 'openai-proxy-fallback-0'),
    { name: 'openai-proxy-fallback-0', secret: { secretName: 'openai-proxy-paygo', defaultMode: 0o440 } },
  );
  t.same(
    proxyContainer(spec).volumeMounts.find((m: K8sObject) => m.name === 'openai-proxy-fallback-0'),
    { name: 'openai-proxy-fallback-0', mountPath: '/var/run/secrets/openai-proxy/fallbacks/paygo', readOnly: true },
  );
});

t.test('per fallback: its own auth header and key entry; fallbackOn and the body limit as set', async (t) => {
  const fallbacks = [
    { name: 'paygo', baseUrl: 'https://paygo.example/openai', existingSecret: 'paygo', keyName: 'key' },
    { name: 'openai', baseUrl: 'https://api.openai.com/v1', authHeader: 'authorization', existingSecret: 'openai-key' },
  ];
  const values = valuesFile(t, { upstream: { fallbacks, fallbackOn: [503, 'connect'], fallbackBodyLimitBytes: 0 } });
  const upstream = configOf(render({ values: [FALLBACKS, values] })).upstream;
  t.same(
    upstream.fallbacks.map((f: K8sObject) => [f.name, f.authHeader, f.apiKey.file]),
    [
      ['paygo', 'api-key', '/var/run/secrets/openai-proxy/fallbacks/paygo/key'],
      ['openai', 'authorization', '/var/run/secrets/openai-proxy/fallbacks/openai/openai-api-key'],
    ],
  );
  t.same(upstream.fallbackOn, [503, 'connect']);
  t.equal(upstream.fallbackBodyLimitBytes, 0, '0: no body is replayed');
});

t.test("a client's fallback key in a Secret of its own: mounted beside, never inside, the client's", async (t) => {
  const client = {
    name: 'team-a',
    existingSecret: 'team-a-openai-proxy',
    upstreamKeyName: 'ptu-key',
    fallbackKeys: { paygo: { existingSecret: 'team-a-paygo' } },
  };
  const values = valuesFile(t, { clients: [client] });
  const objs = render({ values: [FALLBACKS, values] });
  t.same(configOf(objs).clients[0].fallbackKeys, { paygo: { file: '/var/run/secrets/openai-proxy/client-fallbacks/team-a/paygo/openai-api-key' } });
  const spec = podSpec(objs);
  t.same(
    spec.volumes.find((v: K8sObject) => v.name === 'openai-proxy-client-0-fallback-0'),
    { name: 'openai-proxy-client-0-fallback-0', secret: { secretName: 'team-a-paygo', defaultMode: 0o440 } },
  );
  t.same(
    proxyContainer(spec).volumeMounts.find((m: K8sObject) => m.name === 'openai-proxy-client-0-fallback-0'),
    { name: 'openai-proxy-client-0-fallback-0', mountPath: '/var/run/secrets/openai-proxy/client-fallbacks/team-a/paygo', readOnly: true },
  );
});

t.test('keyless: a fallback and a tenant reach it with the Pod token of upstream.workloadIdentity', async (t) => {
  const values = valuesFile(t, {
    upstream: { fallbacks: [{ name: 'paygo', baseUrl: 'https://contoso-paygo.openai.azure.com/openai/v1', workloadIdentity: {} }] },
    clients: [
      {
        name: 'batch',
        existingSecret: 'batch-openai-proxy',
        workloadIdentity: { clientId: '55555555-6666-7777-8888-999999999999' },
        fallbackKeys: { paygo: { workloadIdentity: {} } },
      },
    ],
  });
  const objs = render({ values: [AZURE, values] });
  const config = configOf(objs);
  const shared = {
    provider: 'azure',
    tokenFile: '/var/run/secrets/openai-proxy/identity/token',
    tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
    clientId: '00000000-1111-2222-3333-444444444444',
  };
  t.same(config.upstream.fallbacks[0].apiKey, { workloadIdentity: shared }, "the fallback: the shared application's token");
  t.same(
    config.clients[0].fallbackKeys.paygo,
    { workloadIdentity: { ...shared, clientId: '55555555-6666-7777-8888-999999999999' } },
    "the tenant's own application there too",
  );
  t.notOk(
    podSpec(objs).volumes.some((v: K8sObject) => v.name.includes('fallback')),
    'no Secret volume for them',
  );
});

t.test('without fallbacks the config file has none of their settings', async (t) => {
  const upstream = configOf(render({ values: ['chart/ci/service-values.yaml'] })).upstream;
  t.same(upstream, { baseUrl: 'https://api.openai.com', authHeader: 'authorization' });
});

t.test('the NetworkPolicy lets the proxy reach every upstream, each on its port', async (t) => {
  const policy = find(
    render({
      values: [FALLBACKS],
      set: [
        'networkPolicy.enabled=true',
        'upstream.fallbacks[1].name=vllm',
        'upstream.fallbacks[1].baseUrl=http://vllm.models:8000/v1',
        'upstream.fallbacks[1].existingSecret=vllm',
      ],
    }),
    'NetworkPolicy',
  );
  t.same(policy.spec.egress[1].ports, [
    { port: 443, protocol: 'TCP' },
    { port: 8000, protocol: 'TCP' },
  ]);
  const same = find(render({ values: [FALLBACKS], set: ['networkPolicy.enabled=true'] }), 'NetworkPolicy');
  t.same(same.spec.egress[1].ports, [{ port: 443, protocol: 'TCP' }], 'one rule per port, not per upstream');
});
