// A missing or contradictory value stops the render with a message that says what to set, not a bare JSON-schema
// "minLength: got 0, want 1" (helm template and helm install; helm lint logs the same message).
import t from 'tap';
import { renderFails } from './helm';

const SERVICE = 'chart/ci/service-values.yaml';
const SIDECAR = 'chart/ci/sidecar-values.yaml';
const BARE = /minLength|maxLength|minItems|maxItems|allOf|got \d+, want|value must be/;

const cases: [string, { values?: string[]; set?: string[] }, RegExp][] = [
  [
    'the defaults: no key Secret',
    {},
    /auth\.existingSecret is not set: create a Secret .*--from-literal=openai-api-key=.* and set auth\.existingSecret=openai-proxy-keys; or, only to try the chart out, set auth\.create=true with auth\.openaiApiKey and auth\.proxyApiKey/,
  ],
  [
    'no key Secret, no client key needed',
    { set: ['mode=sidecar', 'auth.clientAuth=none', 'sidecar.app.image=app:1'] },
    /auth\.existingSecret is not set: create a Secret holding the upstream key as openai-api-key \(kubectl .*; or, only to try the chart out, set auth\.create=true with auth\.openaiApiKey$/m,
  ],
  [
    'both a Secret and create',
    { values: [SERVICE], set: ['auth.create=true', 'auth.openaiApiKey=sk-x', 'auth.proxyApiKey=p'] },
    /set auth\.existingSecret or auth\.create=true, not both/,
  ],
  ['create without the upstream key', { set: ['auth.create=true', 'auth.proxyApiKey=p'] }, /auth\.create=true needs auth\.openaiApiKey/],
  ['create without the client key', { set: ['auth.create=true', 'auth.openaiApiKey=sk-x'] }, /auth\.create=true needs auth\.proxyApiKey: the key clients send/],
  ['clientAuth none in service mode', { values: [SERVICE], set: ['auth.clientAuth=none'] }, /auth\.clientAuth=none is only for mode=sidecar/],
  ['no client at all', { values: [SERVICE], set: ['auth.defaultClient=false'] }, /auth\.defaultClient=false leaves no client key; list clients/],
  [
    'clients without client keys',
    { values: [SIDECAR], set: ['clients[0].name=a', 'clients[0].existingSecret=s'] },
    /with auth\.clientAuth=none there are no client keys/,
  ],
  [
    'keyless with a default client: the Secret holds only the client key',
    {
      set: [
        'upstream.workloadIdentity.enabled=true',
        'upstream.workloadIdentity.identityProviderId=wip_1',
        'upstream.workloadIdentity.serviceAccountId=svcacct_1',
      ],
    },
    /auth\.existingSecret is not set: create a Secret holding the client key as proxy-api-key \(kubectl create secret generic openai-proxy-keys --from-literal=proxy-api-key=.*\).*set auth\.create=true with auth\.proxyApiKey$/m,
  ],
  [
    'keyless with an upstream key in values',
    {
      values: [SERVICE],
      set: [
        'upstream.workloadIdentity.enabled=true',
        'upstream.workloadIdentity.identityProviderId=wip_1',
        'upstream.workloadIdentity.serviceAccountId=svcacct_1',
        'auth.openaiApiKey=sk-x',
      ],
    },
    /remove auth\.openaiApiKey/,
  ],
  [
    'keyless openai without its ids',
    { values: [SERVICE], set: ['upstream.workloadIdentity.enabled=true'] },
    /upstream\.workloadIdentity \(openai\) needs identityProviderId .* and serviceAccountId/,
  ],
  [
    'keyless azure without its ids',
    { values: [SERVICE], set: ['upstream.workloadIdentity.enabled=true', 'upstream.workloadIdentity.provider=azure'] },
    /upstream\.workloadIdentity \(azure\) needs tenantId .* and clientId/,
  ],
  [
    'keyless sidecar without client keys: no Secret wanted',
    {
      values: [SIDECAR],
      set: [
        'upstream.workloadIdentity.enabled=true',
        'upstream.workloadIdentity.identityProviderId=wip_1',
        'upstream.workloadIdentity.serviceAccountId=svcacct_1',
      ],
    },
    /no Secret is needed: remove auth\.existingSecret and auth\.create/,
  ],
  [
    'a sidecar Deployment without the app image',
    { values: [SIDECAR], set: ['sidecar.app.image='] },
    /sidecar\.app\.image is not set: give the image of your app/,
  ],
];

for (const [name, opts, message] of cases) {
  t.test(name, async (t) => {
    const stderr = renderFails(opts);
    t.match(stderr, message, 'says what to set');
    t.notMatch(stderr, BARE, 'not a bare schema error');
  });
}
