// The injector's sidecars take their settings from env only. Fallbacks have no environment form, so the chart
// refuses them with the injector (a sidecar that silently never fails over would be worse). Limits, the store
// and prices belong to clients, which an injected sidecar never has: they are left out of it (no store
// setting, no store Secret volume in the Pod), while the release's own proxy keeps them.
import t from 'tap';
import { parse } from 'yaml';
import { envOf, find, isInjector, isRedis, podSpec, proxyContainer, render, renderFails, type K8sObject } from './helm';
import { valuesFile } from './values-file';

const WITH_INJECTOR = 'chart/ci/injector-cert-manager-values.yaml';

t.test('fallbacks with the injector: refused, saying why', async (t) => {
  const values = valuesFile(t, { upstream: { fallbacks: [{ name: 'paygo', baseUrl: 'https://paygo.example', existingSecret: 'paygo' }] } });
  t.match(
    renderFails({ values: [WITH_INJECTOR, values] }),
    /upstream\.fallbacks has no environment variable, and an injected sidecar takes its settings from env only/,
  );
  t.match(renderFails({ values: ['chart/ci/injector-values.yaml', values] }), /upstream\.fallbacks has no environment variable/, 'the injector alone too');
});

t.test('limits with the injector: the release keeps them, the sidecar has none', async (t) => {
  const objs = render({ values: [WITH_INJECTOR, 'chart/ci/service-limits-redis-values.yaml', valuesFile(t, { injector: { enabled: true } })] });
  const proxy = proxyContainer(podSpec(objs));
  t.ok(
    proxy.volumeMounts.some((m: K8sObject) => m.name === 'openai-proxy-redis'),
    "the release's proxy mounts the store's Secret",
  );
  const template = parse(find(objs.filter(isInjector), 'ConfigMap').data['sidecar.yaml']);
  const variant = template.secret;
  t.notOk(
    variant.volumes.some((v: K8sObject) => v.name.startsWith('openai-proxy-redis')),
    'no store Secret in an injected Pod',
  );
  t.notOk(
    variant.container.volumeMounts.some((m: K8sObject) => m.name.startsWith('openai-proxy-redis')),
    'nor a mount of one',
  );
  t.same(
    Object.keys(envOf(variant.container)).filter((name) => name.startsWith('LIMITS_')),
    [],
    'no store setting',
  );
});

t.test('redis.deploy with the injector: the Redis is for the release alone', async (t) => {
  const objs = render({ values: [WITH_INJECTOR, 'chart/ci/service-limits-values.yaml', valuesFile(t, { injector: { enabled: true } })] });
  t.ok(objs.some(isRedis), 'the Redis renders');
  const template = find(objs.filter(isInjector), 'ConfigMap').data['sidecar.yaml'];
  t.notMatch(template, 'redis', 'nothing of it reaches the sidecar');
});
