// The upstream's chart values: upstream.authHeader reaches the proxy's config file (api-key for Azure OpenAI's
// classic header), and the keep-alive default suits the default upstream: the chart leaves
// UPSTREAM_KEEPALIVE_TIMEOUT_MS to the proxy, whose default for api.openai.com is 60 s (4 s for other
// upstreams); proxy.upstreamKeepAliveTimeoutMs sets it.
import t from 'tap';
import { parse } from 'yaml';
import { envOf, find, podSpec, proxyContainer, render, renderFails } from './helm';

const SERVICE = 'chart/ci/service-values.yaml';
const configOf = (set: string[]) => parse(find(render({ values: [SERVICE], set }), 'ConfigMap').data['config.yaml']);

t.test('upstream.authHeader', async (t) => {
  t.equal(configOf([]).upstream.authHeader, 'authorization', 'Bearer by default');
  t.same(configOf(['upstream.authHeader=api-key', 'upstream.baseUrl=https://myres.openai.azure.com/openai/v1']).upstream, {
    baseUrl: 'https://myres.openai.azure.com/openai/v1',
    authHeader: 'api-key',
  });
  t.match(renderFails({ values: [SERVICE], set: ['upstream.authHeader=x-api-key'] }), /authHeader/);
});

t.test('upstream keep-alive', async (t) => {
  const keepAlive = (set: string[]) => envOf(proxyContainer(podSpec(render({ values: [SERVICE], set })))).UPSTREAM_KEEPALIVE_TIMEOUT_MS;
  t.equal(keepAlive([]), undefined, "unset: the proxy's default for the upstream (60 s for api.openai.com)");
  t.equal(keepAlive(['proxy.upstreamKeepAliveTimeoutMs=30000']), '30000');
  t.match(renderFails({ values: [SERVICE], set: ['proxy.upstreamKeepAliveTimeoutMs=0'] }), /upstreamKeepAliveTimeoutMs/);
});
