// The `kubernetes:` section and `clients[].serviceAccounts`: defaults (issuer, audience, the in-cluster JWKS
// with the Pod's own token and CA, for that URL only), clients known by ServiceAccounts alone or beside a
// key, and every problem named by its path in the file.
import t from 'tap';
import { loadConfig } from '../../src/config/config';
import { jwksStartProblems } from '../../src/service-accounts/jwks-fetch';

const load = (yaml: string) => loadConfig({ PROXY_CONFIG: '/p', OPENAI_API_KEY: 'sk-up' }, () => yaml);
const settingsOf = (yaml: string) => load(yaml).problems.map((p) => p.setting);

t.test('clients with serviceAccounts and no section: every default', async (t) => {
  const { config, problems } = load(`
clients:
  - name: team-a
    serviceAccounts: [team-a/chatbot, team-b/*]
  - name: alice
    key: { value: alice-key }
    serviceAccounts: [alice/web]
`);
  t.same(problems, []);
  t.same(config!.kubernetes, {
    issuer: 'https://kubernetes.default.svc.cluster.local',
    audience: 'openai-proxy',
    jwks: {
      kind: 'url',
      url: 'https://kubernetes.default.svc/openid/v1/jwks',
      bearerTokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token',
      caFile: '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt',
    },
    maxTokenLifetimeSeconds: 172_800,
  });
  t.same(
    config!.clients.map((c) => [c.name, c.key?.kind, c.serviceAccounts]),
    [
      ['team-a', undefined, ['team-a/chatbot', 'team-b/*']],
      ['alice', 'value', ['alice/web']],
    ],
  );
});

t.test('no client with serviceAccounts: no ServiceAccount verification at all', async (t) => {
  t.equal(load('clients: [{ name: a, key: { value: k } }]').config!.kubernetes, undefined);
});

t.test("the Pod's own token and CA go to the in-cluster URL only", async (t) => {
  const other = load(`
kubernetes: { issuer: https://oidc.example.com, audience: proxy, jwks: { url: https://oidc.example.com/keys } }
clients: [{ name: a, serviceAccounts: [ns/sa] }]
`).config!.kubernetes!;
  t.same(other, {
    issuer: 'https://oidc.example.com',
    audience: 'proxy',
    jwks: { kind: 'url', url: 'https://oidc.example.com/keys', bearerTokenFile: undefined, caFile: undefined },
    maxTokenLifetimeSeconds: 172_800,
  });
  const named = load(`
kubernetes: { jwks: { url: https://api.internal:6443/openid/v1/jwks, bearerTokenFile: /t, caFile: /ca } }
clients: [{ name: a, serviceAccounts: [ns/sa] }]
`).config!.kubernetes!;
  t.same(named.jwks, { kind: 'url', url: 'https://api.internal:6443/openid/v1/jwks', bearerTokenFile: '/t', caFile: '/ca' });
  const file = load(`
kubernetes: { jwks: { file: /etc/jwks.json } }
clients: [{ name: a, serviceAccounts: [ns/sa] }]
`).config!.kubernetes!;
  t.same(file.jwks, { kind: 'file', path: '/etc/jwks.json' });
});

t.test('problems are named by their path in the file', async (t) => {
  const got = settingsOf(`
kubernetes:
  issuer: ''
  audience: 7
  jwks: { url: http://kubernetes.default.svc/openid/v1/jwks, caFile: '' }
  colour: blue
clients:
  - name: a
    serviceAccounts: [team-a/chatbot, Team-B/x, team-c, '*/*', team-d/a/b, team-e/*, team-e/*]
  - name: b
    serviceAccounts: [team-a/chatbot]
  - name: c
    serviceAccounts: []
  - name: d
`);
  for (const s of [
    'kubernetes.issuer',
    'kubernetes.audience',
    'kubernetes.jwks.url',
    'kubernetes.jwks.caFile',
    'kubernetes.colour',
    'clients[0].serviceAccounts[1]',
    'clients[0].serviceAccounts[2]',
    'clients[0].serviceAccounts[3]',
    'clients[0].serviceAccounts[4]',
    'clients[0].serviceAccounts[6]',
    'clients[1].serviceAccounts[0]',
    'clients[2].serviceAccounts',
    'clients[3].key',
  ]) {
    t.ok(got.includes(s), `names ${s}`);
  }
  t.notOk(got.includes('clients[0].serviceAccounts[5]'), 'team-e/* itself is fine');
  t.match(load('clients: [{ name: a, serviceAccounts: [x/y] }, { name: b, serviceAccounts: [x/y] }]').problems, [
    { setting: 'clients[1].serviceAccounts[0]', message: /also client "a"'s/ },
  ]);
});

t.test('a kubernetes section without any client listing serviceAccounts is a mistake', async (t) => {
  t.match(load('kubernetes: { audience: openai-proxy }\nclients: [{ name: a, key: { value: k } }]').problems, [
    { setting: 'kubernetes', message: /no client lists serviceAccounts/ },
  ]);
  t.ok(
    settingsOf('kubernetes: { jwks: { file: /j, url: https://x } }\nclients: [{ name: a, serviceAccounts: [n/s] }]').includes('kubernetes.jwks.url'),
    'file and url together',
  );
  t.ok(settingsOf('kubernetes: [1]\nclients: [{ name: a, serviceAccounts: [n/s] }]').includes('kubernetes'));
});

t.test('at start: the files a JWKS fetch needs must be readable, and a JWKS file must hold keys', async (t) => {
  const inCluster = {
    ...load('clients: [{ name: a, serviceAccounts: [n/s] }]').config!.kubernetes!.jwks,
    bearerTokenFile: '/nonexistent/serviceaccount/token',
    caFile: '/nonexistent/serviceaccount/ca.crt',
  };
  t.match(jwksStartProblems(inCluster), [
    { setting: 'kubernetes.jwks.bearerTokenFile', message: /cannot read \/nonexistent\/serviceaccount\/token: ENOENT \(the in-cluster default: run in a Pod/ },
    { setting: 'kubernetes.jwks.caFile', message: /ca.crt: ENOENT/ },
  ]);
  t.match(jwksStartProblems({ kind: 'file', path: '/nonexistent/jwks.json' }), [{ setting: 'kubernetes.jwks.file', message: /ENOENT/ }]);
  t.match(jwksStartProblems({ kind: 'file', path: __filename }), [{ setting: 'kubernetes.jwks.file', message: /is not JSON/ }]);
  t.same(jwksStartProblems({ kind: 'url', url: 'https://oidc.example.com/keys' }), [], 'nothing to read for a URL without files');
});
