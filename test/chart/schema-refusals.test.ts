// values.schema.json (and a few template guards) refuse what the chart cannot render, with a message that
// names the offending value, before anything reaches a cluster.
import t from 'tap';
import { renderFails } from './helm';

const SERVICE = 'chart/ci/service-values.yaml';
const SIDECAR = 'chart/ci/sidecar-values.yaml';
const KEYLESS = 'chart/ci/sidecar-keyless-values.yaml';
const KEYLESS_AZURE = 'chart/ci/service-keyless-azure-values.yaml';

const refusals: [string, { values?: string[]; set?: string[]; setString?: string[] }, RegExp][] = [
  ['unknown mode', { values: [SERVICE], set: ['mode=daemonset'] }, /mode/],
  ['non-numeric port', { values: [SERVICE], setString: ['proxy.port=http'] }, /proxy\/port/],
  ['port out of range', { values: [SERVICE], set: ['proxy.adminPort=70000'] }, /proxy\/adminPort/],
  ['both existingSecret and create', { values: [SERVICE], set: ['auth.create=true', 'auth.openaiApiKey=sk-x', 'auth.proxyApiKey=p'] }, /existingSecret/],
  ['neither existingSecret nor create', { values: [SERVICE], set: ['auth.existingSecret='] }, /existingSecret/],
  ['create without the upstream key', { set: ['auth.create=true', 'auth.proxyApiKey=p'] }, /openaiApiKey/],
  ['create without the client key', { set: ['auth.create=true', 'auth.openaiApiKey=sk-x'] }, /proxyApiKey/],
  ['clientAuth none in service mode', { values: [SERVICE], set: ['auth.clientAuth=none'] }, /clientAuth/],
  ['unknown clientAuth', { values: [SIDECAR], set: ['auth.clientAuth=maybe'] }, /clientAuth/],
  ['clientAuth none with clients', { values: [SIDECAR], set: ['clients[0].name=a', 'clients[0].existingSecret=s'] }, /clients/],
  ['no client key at all', { values: [SERVICE], set: ['auth.defaultClient=false'] }, /clients/],
  ['client name with a slash', { values: [SERVICE], set: ['clients[0].name=a/b', 'clients[0].existingSecret=s'] }, /clients\/0\/name/],
  ['client name ..', { values: [SERVICE], set: ['clients[0].name=..', 'clients[0].existingSecret=s'] }, /clients\/0\/name/],
  ['client without a Secret', { values: [SERVICE], set: ['clients[0].name=a'] }, /existingSecret/],
  [
    'client name twice',
    { values: [SERVICE], set: ['clients[0].name=a', 'clients[0].existingSecret=s', 'clients[1].name=a', 'clients[1].existingSecret=t'] },
    /used more than once/,
  ],
  ['unknown client setting', { values: [SERVICE], set: ['clients[0].name=a', 'clients[0].existingSecret=s', 'clients[0].keyFile=x'] }, /keyFile/],
  [
    'non-numeric limit',
    { values: [SERVICE], set: ['clients[0].name=a', 'clients[0].existingSecret=s'], setString: ['clients[0].limits.requestsPerMinute=lots'] },
    /requestsPerMinute/,
  ],
  ['base URL with credentials', { values: [SERVICE], set: ['upstream.baseUrl=https://user:pw@api.openai.com'] }, /baseUrl/],
  ['base URL not http(s)', { values: [SERVICE], set: ['upstream.baseUrl=ftp://api.openai.com'] }, /baseUrl/],
  ['endpoint without a leading slash', { values: [SERVICE], set: ['endpoints[0]=v1/responses'] }, /endpoints/],
  ['unknown log level', { values: [SERVICE], set: ['proxy.logLevel=verbose'] }, /logLevel/],
  [
    'a token lifetime limit below a second',
    { values: ['chart/ci/service-serviceaccounts-values.yaml'], set: ['auth.serviceAccounts.maxTokenLifetimeSeconds=0'] },
    /serviceAccounts\/maxTokenLifetimeSeconds/,
  ],
  ['a fractional token lifetime limit', { values: [SERVICE], set: ['auth.serviceAccounts.maxTokenLifetimeSeconds=1.5'] }, /maxTokenLifetimeSeconds/],
  ['negative grace', { values: [SERVICE], set: ['proxy.shutdownGraceMs=-1'] }, /shutdownGraceMs/],
  ['unknown sidecar.native', { values: [SIDECAR], set: ['sidecar.native=sometimes'] }, /native/],
  ['sidecar Deployment without an app image', { values: [SIDECAR], set: ['sidecar.app.image='] }, /image/],
  ['unknown top-level key (a typo)', { values: [SERVICE], set: ['replicas=3'] }, /replicas/],
  ['unknown key under proxy (a typo)', { values: [SERVICE], set: ['proxy.shutdownGrace=5'] }, /shutdownGrace/],
  ['Secret name that is not a DNS name', { values: [SERVICE], set: ['auth.existingSecret=My_Secret'] }, /existingSecret/],
  ['Secret entry name with a slash', { values: [SERVICE], set: ['auth.secretKeys.openaiApiKey=a/b'] }, /openaiApiKey/],
  ['unknown Service type', { values: [SERVICE], set: ['service.type=ExternalName'] }, /service\/type/],
  ['keyless openai without the service account', { values: [KEYLESS], set: ['upstream.workloadIdentity.serviceAccountId='] }, /serviceAccountId/],
  ['keyless azure without the tenant', { values: [KEYLESS_AZURE], set: ['upstream.workloadIdentity.tenantId='] }, /tenantId/],
  ['unknown workload identity provider', { values: [KEYLESS], set: ['upstream.workloadIdentity.provider=gcp'] }, /provider/],
  ['a projected token shorter than Kubernetes allows', { values: [KEYLESS], set: ['upstream.workloadIdentity.expirationSeconds=300'] }, /expirationSeconds/],
  ['a token URL that is not https', { values: [KEYLESS], set: ['upstream.workloadIdentity.tokenUrl=http://auth.example/token'] }, /tokenUrl/],
  [
    'keyless with an upstream key in values',
    { values: [KEYLESS_AZURE], set: ['auth.existingSecret=', 'auth.create=true', 'auth.proxyApiKey=p', 'auth.openaiApiKey=sk-x'] },
    /openaiApiKey/,
  ],
  ['keyless without client keys, but a Secret given', { values: [KEYLESS], set: ['auth.existingSecret=openai-api-key'] }, /existingSecret/],
  ['keyless with the default client, but no Secret for its key', { values: [KEYLESS_AZURE], set: ['auth.existingSecret='] }, /existingSecret/],
  [
    'a client workload identity without the Pod token',
    { values: [SERVICE], set: ['clients[0].name=a', 'clients[0].existingSecret=s', 'clients[0].workloadIdentity.serviceAccountId=svcacct_a'] },
    /upstream.workloadIdentity.enabled/,
  ],
  ['a client with an upstream key and a workload identity', { values: [KEYLESS_AZURE], set: ['clients[0].upstreamKeyName=openai-api-key'] }, /clients\/0/],
];

for (const [name, opts, message] of refusals) {
  t.test(name, async (t) => {
    t.match(renderFails(opts), message);
  });
}
