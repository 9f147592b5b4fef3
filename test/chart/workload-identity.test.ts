// upstream.workloadIdentity: the chart mounts a projected ServiceAccount token into the proxy container only
// (both modes, both Kubernetes versions), writes the workloadIdentity reference into the proxy's config file,
// and needs no upstream key: with clientAuth none in sidecar mode the Pod holds no Secret at all. The
// ServiceAccount annotation and Pod label of AKS workload identity are set through the usual values.
import t from 'tap';
import { parse } from 'yaml';
import { KUBE_VERSIONS, appContainers, envOf, find, findAll, podSpec, proxyContainer, render, type K8sObject } from './helm';

const SIDECAR = 'chart/ci/sidecar-keyless-values.yaml';
const AZURE = 'chart/ci/service-keyless-azure-values.yaml';
const configOf = (objs: K8sObject[]) => parse(find(objs, 'ConfigMap').data['config.yaml']);
const identityVolume = (spec: K8sObject) => spec.volumes.find((v: K8sObject) => v.name === 'openai-proxy-identity');

for (const kube of KUBE_VERSIONS) {
  t.test(`keyless sidecar without a client key on ${kube}: a projected token, no Secret anywhere`, async (t) => {
    const objs = render({ values: [SIDECAR], kube });
    t.same(findAll(objs, 'Secret'), [], 'no Secret rendered');
    const spec = podSpec(objs);
    t.notOk(
      spec.volumes.some((v: K8sObject) => v.secret),
      'no Secret volume',
    );
    t.same(identityVolume(spec), {
      name: 'openai-proxy-identity',
      projected: { sources: [{ serviceAccountToken: { path: 'token', audience: 'https://api.openai.com/v1', expirationSeconds: 3600 } }] },
    });
    const proxy = proxyContainer(spec);
    t.same(
      proxy.volumeMounts.find((m: K8sObject) => m.name === 'openai-proxy-identity'),
      { name: 'openai-proxy-identity', mountPath: '/var/run/secrets/openai-proxy/identity', readOnly: true },
    );
    for (const app of appContainers(spec))
      t.notOk(
        (app.volumeMounts ?? []).some((m: K8sObject) => m.name === 'openai-proxy-identity'),
        `${app.name} does not see the token`,
      );
    const env = envOf(proxy);
    t.notOk('OPENAI_API_KEY_FILE' in env, 'no upstream key file');
    t.equal(env.PROXY_AUTH, 'none');
    t.same(configOf(objs).upstream, {
      baseUrl: 'https://api.openai.com',
      authHeader: 'authorization',
      apiKey: {
        workloadIdentity: {
          provider: 'openai',
          tokenFile: '/var/run/secrets/openai-proxy/identity/token',
          identityProviderId: 'wip_0123456789abcdef',
          serviceAccountId: 'svcacct_0123456789abcdef',
        },
      },
    });
    t.equal(spec.serviceAccountName, 'openai-proxy', "the token is the Pod's own ServiceAccount's");
  });
}

t.test('keyless Azure in service mode: audience, config, the client key Secret only, AKS annotation and label', async (t) => {
  const objs = render({ values: [AZURE] });
  const spec = podSpec(objs);
  t.equal(identityVolume(spec).projected.sources[0].serviceAccountToken.audience, 'api://AzureADTokenExchange');
  const env = envOf(proxyContainer(spec));
  t.notOk('OPENAI_API_KEY_FILE' in env, 'no upstream key file');
  t.equal(env.PROXY_X_API_KEY_FILE, '/var/run/secrets/openai-proxy/auth/proxy-api-key', 'the client key still comes from the Secret');
  const config = configOf(objs);
  const shared = { provider: 'azure', tokenFile: '/var/run/secrets/openai-proxy/identity/token', tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47' };
  t.same(config.upstream.apiKey, { workloadIdentity: { ...shared, clientId: '00000000-1111-2222-3333-444444444444' } });
  t.same(
    config.clients[0].upstreamKey,
    { workloadIdentity: { ...shared, clientId: '55555555-6666-7777-8888-999999999999' } },
    "the tenant's own Entra application",
  );
  t.equal(find(objs, 'ServiceAccount').metadata.annotations['azure.workload.identity/client-id'], '00000000-1111-2222-3333-444444444444');
  t.equal(find(objs, 'Deployment').spec.template.metadata.labels['azure.workload.identity/use'], 'true');
});

t.test('audience, lifetime, token URL, authority host and scope are settable', async (t) => {
  const objs = render({
    values: [SIDECAR],
    set: [
      'upstream.workloadIdentity.audience=openai-wif',
      'upstream.workloadIdentity.expirationSeconds=7200',
      'upstream.workloadIdentity.tokenUrl=https://sts.example/oauth/token',
    ],
  });
  t.same(identityVolume(podSpec(objs)).projected.sources[0].serviceAccountToken, { path: 'token', audience: 'openai-wif', expirationSeconds: 7200 });
  t.equal(configOf(objs).upstream.apiKey.workloadIdentity.tokenUrl, 'https://sts.example/oauth/token');
  const azure = configOf(
    render({
      values: [AZURE],
      set: ['upstream.workloadIdentity.authorityHost=https://login.microsoftonline.us/', 'upstream.workloadIdentity.scope=https://ai.azure.com/.default'],
    }),
  );
  t.match(azure.upstream.apiKey.workloadIdentity, { authorityHost: 'https://login.microsoftonline.us/', scope: 'https://ai.azure.com/.default' });
});

t.test('a chart-made Secret holds only the client key when the upstream is keyless', async (t) => {
  const objs = render({ values: [AZURE], set: ['auth.existingSecret=', 'auth.create=true', 'auth.proxyApiKey=a-client-key-for-trying-it-out'] });
  t.same(Object.keys(find(objs, 'Secret').data), ['proxy-api-key']);
});

t.test('the network policy lets the proxy reach the token endpoint', async (t) => {
  const policy = find(
    render({ values: [AZURE], set: ['networkPolicy.enabled=true', 'upstream.workloadIdentity.authorityHost=https://login.example:8443'] }),
    'NetworkPolicy',
  );
  t.equal(policy.spec.egress.length, 3, 'DNS, the upstream, the token endpoint');
  t.same(policy.spec.egress[2].ports, [{ port: 8443, protocol: 'TCP' }]);
  const openai = find(
    render({
      values: ['chart/ci/service-values.yaml'],
      set: [
        'networkPolicy.enabled=true',
        'upstream.workloadIdentity.enabled=true',
        'upstream.workloadIdentity.identityProviderId=w',
        'upstream.workloadIdentity.serviceAccountId=s',
        'networkPolicy.tokenEndpointTo[0].ipBlock.cidr=203.0.113.0/24',
      ],
    }),
    'NetworkPolicy',
  );
  t.same(openai.spec.egress[2], { to: [{ ipBlock: { cidr: '203.0.113.0/24' } }], ports: [{ port: 443, protocol: 'TCP' }] });
});
