// auth.serviceAccounts.enabled (service mode): the chart mounts the proxy's own API token (and the cluster
// CA) into the proxy container only, with no Kubernetes permission beyond reading the issuer's keys; the
// config file gets the kubernetes: section and each client's serviceAccounts; a client may need no Secret.
// Off by default, and refused where it cannot work.
import t from 'tap';
import { parse } from 'yaml';
import { find, findAll, podSpec, proxyContainer, render, renderFails, type K8sObject } from './helm';

const VALUES = 'chart/ci/service-serviceaccounts-values.yaml';
const configOf = (objs: K8sObject[]) => parse(find(objs, 'ConfigMap').data['config.yaml']);

t.test("the proxy's own API token: a projected volume for the proxy container alone", async (t) => {
  const objs = render({ values: [VALUES] });
  const spec = podSpec(objs);
  t.equal(spec.automountServiceAccountToken, false, 'no automounted token (it would reach every container)');
  const volume = spec.volumes.find((v: K8sObject) => v.name === 'openai-proxy-kube-api');
  t.same(
    volume.projected.sources,
    [
      { serviceAccountToken: { path: 'token', expirationSeconds: 3607 } },
      { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
    ],
    'a token for the API server (no audience given) and the cluster CA',
  );
  const mount = proxyContainer(spec).volumeMounts.find((m: K8sObject) => m.name === 'openai-proxy-kube-api');
  t.same(mount, { name: 'openai-proxy-kube-api', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true });
});

t.test("the config file: the kubernetes section and each client's serviceAccounts", async (t) => {
  const config = configOf(render({ values: [VALUES] }));
  t.same(config.kubernetes, {
    issuer: 'https://kubernetes.default.svc.cluster.local',
    audience: 'openai-proxy',
    jwks: {
      url: 'https://kubernetes.default.svc/openid/v1/jwks',
      bearerTokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token',
      caFile: '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt',
    },
    maxTokenLifetimeSeconds: 172800,
  });
  t.same(config.clients, [
    { name: 'team-a', serviceAccounts: ['team-a/chatbot', 'team-b/*'] },
    { name: 'bob', key: { file: '/var/run/secrets/openai-proxy/clients/bob/proxy-api-key' }, serviceAccounts: ['bob/batch'] },
  ]);
  const spec = podSpec(render({ values: [VALUES] }));
  t.same(
    spec.volumes.filter((v: K8sObject) => v.secret).map((v: K8sObject) => v.secret.secretName),
    ['openai-proxy-upstream', 'bob-openai-proxy'],
    'team-a has no Secret to mount',
  );
  const custom = configOf(
    render({
      values: [VALUES],
      set: [
        'auth.serviceAccounts.issuer=https://oidc.eks.example.com/id/X',
        'auth.serviceAccounts.audience=llm',
        'auth.serviceAccounts.maxTokenLifetimeSeconds=3600',
      ],
    }),
  );
  t.match(custom.kubernetes, { issuer: 'https://oidc.eks.example.com/id/X', audience: 'llm', maxTokenLifetimeSeconds: 3600 });
});

t.test('no permission beyond reading the keys: a ClusterRoleBinding to issuer discovery only when asked', async (t) => {
  const binding = find(render({ values: [VALUES] }), 'ClusterRoleBinding');
  t.same(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:service-account-issuer-discovery' });
  t.same(binding.subjects, [{ kind: 'ServiceAccount', name: 'openai-proxy', namespace: 'ai' }]);
  const objs = render({ values: [VALUES], set: ['auth.serviceAccounts.createIssuerDiscoveryBinding=false'] });
  t.same(findAll(objs, 'ClusterRoleBinding'), [], "by default the cluster's own binding of every ServiceAccount serves");
  t.same(
    objs.filter((o) => /Role/.test(o.kind)),
    [],
    'and no Role of any kind',
  );
});

t.test('the NetworkPolicy lets the proxy reach the API server', async (t) => {
  const egress = find(render({ values: [VALUES] }), 'NetworkPolicy').spec.egress;
  t.ok(
    egress.some(
      (rule: K8sObject) =>
        JSON.stringify(rule.ports) ===
        JSON.stringify([
          { port: 443, protocol: 'TCP' },
          { port: 6443, protocol: 'TCP' },
        ]),
    ),
    'ports 443 and 6443',
  );
  const peers = [{ ipBlock: { cidr: '192.0.2.10/32' } }];
  const scoped = find(render({ values: [VALUES], set: ['networkPolicy.apiServerTo[0].ipBlock.cidr=192.0.2.10/32'] }), 'NetworkPolicy').spec.egress;
  t.ok(
    scoped.some((rule: K8sObject) => JSON.stringify(rule.to) === JSON.stringify(peers)),
    'to the peers given',
  );
});

t.test('off by default: no token, no kubernetes section', async (t) => {
  const objs = render({ values: ['chart/ci/service-values.yaml'] });
  t.notOk(
    podSpec(objs).volumes.some((v: K8sObject) => v.projected),
    'no projected volume',
  );
  t.equal(configOf(objs).kubernetes, undefined);
  t.same(findAll(objs, 'ClusterRoleBinding'), []);
});

t.test('refused where it cannot work', async (t) => {
  t.match(
    renderFails({ values: ['chart/ci/sidecar-values.yaml'], set: ['auth.serviceAccounts.enabled=true'] }),
    /serviceAccounts/,
    'sidecar mode: the caller is the Pod itself',
  );
  t.match(
    renderFails({ values: ['chart/ci/service-values.yaml'], set: ['clients[0].name=a', 'clients[0].serviceAccounts[0]=ns/sa'] }),
    /"a" lists serviceAccounts, which need auth.serviceAccounts.enabled/,
  );
  for (const bad of ['ns', 'NS/sa', '*/*', 'ns/sa/x', 'ns/Sa']) {
    t.match(
      renderFails({ values: [VALUES], set: ['clients[0].name=a', `clients[0].serviceAccounts[0]=${bad}`] }),
      /serviceAccounts/,
      `"${bad}" is not namespace/name`,
    );
  }
  t.match(
    renderFails({ values: [VALUES], set: ['auth.serviceAccounts.jwksUrl=http://kubernetes.default.svc/openid/v1/jwks'] }),
    /jwksUrl/,
    'the keys are never fetched over plain HTTP',
  );
  t.match(renderFails({ values: [VALUES], set: ['auth.serviceAccounts.tokenExpirationSeconds=60'] }), /tokenExpirationSeconds/, "Kubernetes' minimum is 600 s");
  t.match(
    renderFails({ values: [VALUES], set: ['clients[2].name=c'] }),
    /existingSecret|serviceAccounts/,
    'a client with neither a Secret nor ServiceAccounts',
  );
});
