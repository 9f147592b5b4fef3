// usage.streamUsage reaches the proxy's config file (usage.streamUsage) and, as PROXY_STREAM_USAGE, the sidecar
// the injector inserts; unset, neither says anything and the proxy's auto applies (inject in front of
// api.openai.com only). The schema takes inject, passthrough and auto alone.
import t from 'tap';
import { parse } from 'yaml';
import { envOf, find, isInjector, render, renderFails } from './helm';

const SERVICE = 'chart/ci/service-values.yaml';
const INJECTOR = 'chart/ci/injector-values.yaml';
const configOf = (set: string[]) => parse(find(render({ values: [SERVICE], set }), 'ConfigMap').data['config.yaml']);
const injectedEnv = (set: string[]) => {
  const template = parse(find(render({ values: [INJECTOR], set }).filter(isInjector), 'ConfigMap').data['sidecar.yaml']);
  return envOf(template.secret.container);
};

t.test('in the config file', async (t) => {
  t.equal(configOf([]).usage, undefined, "unset: the proxy's auto");
  for (const value of ['inject', 'passthrough', 'auto']) t.same(configOf([`usage.streamUsage=${value}`]).usage, { streamUsage: value }, value);
});

t.test("in the injected sidecar's env", async (t) => {
  t.notOk('PROXY_STREAM_USAGE' in injectedEnv([]), 'unset: no variable');
  t.equal(injectedEnv(['usage.streamUsage=passthrough']).PROXY_STREAM_USAGE, 'passthrough');
});

t.test('anything else is refused', async (t) => {
  t.match(renderFails({ values: [SERVICE], set: ['usage.streamUsage=always'] }), /usage\/streamUsage/);
  t.match(renderFails({ values: [SERVICE], set: ['usage.estimate=true'] }), /estimate/);
});
