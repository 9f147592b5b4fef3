import t from 'tap';
import { loadConfig } from '../../src/config/config';
import type { Env } from '../../src/config/types';

const client: Env = { PROXY_X_API_KEY: 'client-key' };
const openai: Env = { ...client, OPENAI_IDENTITY_PROVIDER_ID: 'wip_1', OPENAI_SERVICE_ACCOUNT_ID: 'svcacct_2', OPENAI_IDENTITY_TOKEN_FILE: '/var/run/token' };
const azure: Env = {
  ...client,
  OPENAI_AUTH_PROVIDER: 'azure',
  AZURE_CLIENT_ID: 'cid',
  AZURE_TENANT_ID: 'tid',
  AZURE_FEDERATED_TOKEN_FILE: '/var/run/azure/token',
  AZURE_AUTHORITY_HOST: 'https://login.microsoftonline.com/',
};
const withFile = (yaml: string) => (p: string) => {
  if (p !== '/config.yaml') throw Object.assign(new Error('nope'), { code: 'ENOENT' });
  return yaml;
};
const problemsOf = (env: Env, yaml?: string) =>
  loadConfig(yaml === undefined ? env : { ...env, PROXY_CONFIG: '/config.yaml' }, yaml === undefined ? undefined : withFile(yaml)).problems;
const settings = (env: Env, yaml?: string) =>
  problemsOf(env, yaml)
    .map((p) => p.setting)
    .sort();

t.test('env form, openai: the three variables, the default token URL', async (t) => {
  const { config, problems } = loadConfig(openai);
  t.same(problems, []);
  t.same(config!.upstream.apiKey, {
    kind: 'workloadIdentity',
    identity: {
      provider: 'openai',
      tokenFileSetting: 'OPENAI_IDENTITY_TOKEN_FILE',
      tokenFile: '/var/run/token',
      identityProviderId: 'wip_1',
      serviceAccountId: 'svcacct_2',
      tokenUrl: 'https://auth.openai.com/oauth/token',
    },
  });
  t.equal(config!.upstream.apiKeySetting, 'OPENAI_IDENTITY_TOKEN_FILE');
  t.match(loadConfig({ ...openai, OPENAI_IDENTITY_TOKEN_URL: 'https://sts.example/token' }).config!.upstream.apiKey, {
    identity: { tokenUrl: 'https://sts.example/token' },
  });
});

t.test('env form, azure: AKS variables, the trailing slash of the authority host dropped, the default scope', async (t) => {
  const { config, problems } = loadConfig(azure);
  t.same(problems, []);
  t.same(config!.upstream.apiKey, {
    kind: 'workloadIdentity',
    identity: {
      provider: 'azure',
      tokenFileSetting: 'AZURE_FEDERATED_TOKEN_FILE',
      tokenFile: '/var/run/azure/token',
      tenantId: 'tid',
      clientId: 'cid',
      scope: 'https://cognitiveservices.azure.com/.default',
      authorityHost: 'https://login.microsoftonline.com',
    },
  });
  const { AZURE_AUTHORITY_HOST: _, ...noAuthority } = azure;
  t.match(loadConfig(noAuthority).config!.upstream.apiKey, { identity: { authorityHost: 'https://login.microsoftonline.com' } }, 'default authority host');
});

t.test('a partial env form names every missing variable', async (t) => {
  t.same(settings({ ...client, OPENAI_IDENTITY_PROVIDER_ID: 'wip_1' }), ['OPENAI_IDENTITY_TOKEN_FILE', 'OPENAI_SERVICE_ACCOUNT_ID']);
  t.same(settings({ ...client, OPENAI_AUTH_PROVIDER: 'azure', AZURE_CLIENT_ID: 'cid' }), ['AZURE_FEDERATED_TOKEN_FILE', 'AZURE_TENANT_ID']);
  t.same(
    settings({ ...client, OPENAI_AUTH_PROVIDER: 'azure' }),
    ['AZURE_CLIENT_ID', 'AZURE_FEDERATED_TOKEN_FILE', 'AZURE_TENANT_ID'],
    'azure chosen, nothing given',
  );
  const [problem] = problemsOf({ ...client, OPENAI_SERVICE_ACCOUNT_ID: 's' }).filter((p) => p.setting === 'OPENAI_IDENTITY_PROVIDER_ID');
  t.match(problem!.message, /OPENAI_IDENTITY_PROVIDER_ID, OPENAI_SERVICE_ACCOUNT_ID, OPENAI_IDENTITY_TOKEN_FILE/, 'the message lists the whole form');
});

t.test('the AZURE_* variables AKS sets everywhere count only with OPENAI_AUTH_PROVIDER=azure', async (t) => {
  const { OPENAI_AUTH_PROVIDER: _, ...webhookOnly } = azure;
  const { config, problems } = loadConfig({ ...webhookOnly, OPENAI_API_KEY: 'sk-static' });
  t.same(problems, []);
  t.same(config!.upstream.apiKey, { kind: 'env', name: 'OPENAI_API_KEY' });
});

t.test('invalid values and conflicts', async (t) => {
  t.same(settings({ ...openai, OPENAI_IDENTITY_TOKEN_URL: 'http://auth.example/token' }), ['OPENAI_IDENTITY_TOKEN_URL'], 'the token goes over HTTPS only');
  t.same(settings({ ...azure, AZURE_AUTHORITY_HOST: 'login.microsoftonline.com' }), ['AZURE_AUTHORITY_HOST']);
  t.same(settings({ ...azure, AZURE_TENANT_ID: '../admin' }), ['AZURE_TENANT_ID'], 'the tenant goes into a URL path');
  t.same(settings({ ...openai, OPENAI_SERVICE_ACCOUNT_ID: 'svc acct' }), ['OPENAI_SERVICE_ACCOUNT_ID']);
  t.same(settings({ ...openai, OPENAI_AUTH_PROVIDER: 'gcp' }), ['OPENAI_AUTH_PROVIDER']);
  t.same(settings({ ...openai, OPENAI_API_KEY: 'sk-x' }), ['OPENAI_API_KEY'], 'a static key and workload identity at once');
  t.same(settings({ ...azure, OPENAI_IDENTITY_PROVIDER_ID: 'wip' }), ['OPENAI_IDENTITY_PROVIDER_ID'], 'openai variables with provider azure');
});

const FILE_IDENTITY = `upstream:
  apiKey:
    workloadIdentity:
      provider: openai
      tokenFile: /var/run/secrets/openai-proxy/identity/token
      identityProviderId: wip_file
      serviceAccountId: svcacct_file
clients:
  - name: alice
    key: { value: alice-key }
    upstreamKey:
      workloadIdentity: { provider: azure, tokenFile: /t, tenantId: contoso.onmicrosoft.com, clientId: cid, scope: "https://ai.azure.com/.default", authorityHost: "https://login.microsoftonline.us/" }
`;

t.test('config file: upstream.apiKey and a client upstreamKey', async (t) => {
  const { config, problems } = loadConfig({ PROXY_CONFIG: '/config.yaml' }, withFile(FILE_IDENTITY));
  t.same(problems, []);
  t.match(config!.upstream.apiKey, {
    kind: 'workloadIdentity',
    identity: { provider: 'openai', identityProviderId: 'wip_file', tokenFileSetting: 'upstream.apiKey.workloadIdentity.tokenFile' },
  });
  t.match(config!.clients[0]!.upstreamKey, {
    kind: 'workloadIdentity',
    identity: {
      provider: 'azure',
      tenantId: 'contoso.onmicrosoft.com',
      scope: 'https://ai.azure.com/.default',
      authorityHost: 'https://login.microsoftonline.us',
      tokenFileSetting: 'clients[0].upstreamKey.workloadIdentity.tokenFile',
    },
  });
});

t.test('config file: an env value replaces the same field', async (t) => {
  const { config, problems } = loadConfig({ PROXY_CONFIG: '/config.yaml', OPENAI_SERVICE_ACCOUNT_ID: 'svcacct_env' }, withFile(FILE_IDENTITY));
  t.same(problems, []);
  t.match(config!.upstream.apiKey, {
    identity: { identityProviderId: 'wip_file', serviceAccountId: 'svcacct_env', tokenFile: '/var/run/secrets/openai-proxy/identity/token' },
  });
});

t.test('config file: shape problems name the field', async (t) => {
  const file = (identity: string) => `upstream:\n  apiKey:\n    workloadIdentity: ${identity}\nclients: [{ name: a, key: { value: k } }]\n`;
  t.same(settings({}, file('{ provider: gcp }')), ['upstream.apiKey.workloadIdentity.provider']);
  t.same(settings({}, file('{ tokenFile: /t, identityProviderId: w }')), ['upstream.apiKey.workloadIdentity.serviceAccountId'], 'provider defaults to openai');
  t.same(
    settings({}, file('{ tokenFile: /t, identityProviderId: w, serviceAccountId: s, tenantId: x }')),
    ['upstream.apiKey.workloadIdentity.tenantId'],
    'an azure field under openai is unknown',
  );
  t.same(settings({}, file('just-a-string')), ['upstream.apiKey.workloadIdentity']);
  const [shape] = problemsOf({}, 'upstream:\n  apiKey: { sha256: abc }\nclients: [{ name: a, key: { value: k } }]\n');
  t.match(shape, { setting: 'upstream.apiKey', message: /\{ workloadIdentity: \.\.\. \}/ }, 'the shape message offers workloadIdentity');
});
