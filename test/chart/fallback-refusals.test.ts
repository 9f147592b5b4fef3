// What the chart cannot render for fallbacks, or the proxy would refuse at start, is refused by the schema or a
// template guard, with a message naming the value.
import t from 'tap';
import { renderFails } from './helm';
import { valuesFile } from './values-file';

const FALLBACKS = 'chart/ci/service-fallbacks-values.yaml';
const AZURE = 'chart/ci/service-keyless-azure-values.yaml';
const paygo = { name: 'paygo', baseUrl: 'https://paygo.example/openai', existingSecret: 'paygo' };
type Values = Record<string, unknown>;

const refusals: [string, string[], Values, RegExp][] = [
  ['a fallback without a name', [FALLBACKS], { upstream: { fallbacks: [{ baseUrl: 'https://a.example', existingSecret: 's' }] } }, /fallbacks\/0.*name/],
  ['a fallback name with a slash', [FALLBACKS], { upstream: { fallbacks: [{ ...paygo, name: 'a/b' }] } }, /fallbacks\/0\/name/],
  ['a fallback name ..', [FALLBACKS], { upstream: { fallbacks: [{ ...paygo, name: '..' }] } }, /fallbacks\/0\/name/],
  ['a fallback URL with credentials', [FALLBACKS], { upstream: { fallbacks: [{ ...paygo, baseUrl: 'https://u:p@paygo.example' }] } }, /fallbacks\/0\/baseUrl/],
  ['an unknown fallback auth header', [FALLBACKS], { upstream: { fallbacks: [{ ...paygo, authHeader: 'x-api-key' }] } }, /fallbacks\/0\/authHeader/],
  ['an unknown fallback setting', [FALLBACKS], { upstream: { fallbacks: [{ ...paygo, apiKey: 'sk-x' }] } }, /apiKey/],
  ['keyName without a Secret', [FALLBACKS], { upstream: { fallbacks: [{ name: 'p', baseUrl: 'https://p.example', keyName: 'k' }] } }, /existingSecret/],
  [
    'a Secret and workload identity',
    [AZURE],
    { upstream: { fallbacks: [{ ...paygo, workloadIdentity: {} }] } },
    /"paygo" has existingSecret and workloadIdentity/,
  ],
  ['a fallback named as the primary', [FALLBACKS], { upstream: { fallbacks: [{ ...paygo, name: 'ptu' }] } }, /"ptu" is used by another upstream too/],
  ['two fallbacks of one name', [FALLBACKS], { upstream: { fallbacks: [paygo, paygo] } }, /"paygo" is used by another upstream too/],
  [
    'a fallback named primary, the unnamed primary',
    ['chart/ci/service-values.yaml'],
    { upstream: { fallbacks: [{ ...paygo, name: 'primary' }] } },
    /the primary is "primary"/,
  ],
  [
    'a fallback without a key that the default client would use',
    [FALLBACKS],
    { upstream: { fallbacks: [{ name: 'paygo', baseUrl: 'https://paygo.example' }] } },
    /"paygo" needs existingSecret .* callers without an upstream key of their own use it/,
  ],
  [
    'a keyless fallback without the Pod token',
    [FALLBACKS],
    { upstream: { fallbacks: [{ name: 'paygo', baseUrl: 'https://paygo.example', workloadIdentity: {} }] } },
    /"paygo" has a workloadIdentity, which needs upstream.workloadIdentity.enabled/,
  ],
  ['a status outside 400-599', [FALLBACKS], { upstream: { fallbackOn: [200, 'connect'] } }, /fallbackOn\/0/],
  ['an unknown fallback reason', [FALLBACKS], { upstream: { fallbackOn: ['timeout'] } }, /fallbackOn\/0/],
  ['no fallback reason at all', [FALLBACKS], { upstream: { fallbackOn: [] } }, /fallbackOn/],
  ['a negative body limit', [FALLBACKS], { upstream: { fallbackBodyLimitBytes: -1 } }, /fallbackBodyLimitBytes/],
  [
    'fallbackKeys naming no fallback',
    [FALLBACKS],
    { clients: [{ name: 'team-a', existingSecret: 's', upstreamKeyName: 'k', fallbackKeys: { nosuch: { keyName: 'k2' } } }] },
    /"team-a" has fallbackKeys.nosuch, which names no fallback upstream \(upstream.fallbacks: paygo\)/,
  ],
  [
    'a fallback key entry without any Secret',
    ['chart/ci/service-serviceaccounts-values.yaml'],
    {
      upstream: { fallbacks: [paygo] },
      clients: [{ name: 'team-a', serviceAccounts: ['team-a/*'], fallbackKeys: { paygo: { keyName: 'k' } } }],
    },
    /"team-a" has fallbackKeys.paygo.keyName, an entry of its own Secret, but no existingSecret/,
  ],
  ['an empty fallback key', [FALLBACKS], { clients: [{ name: 'team-a', existingSecret: 's', fallbackKeys: { paygo: {} } }] }, /fallbackKeys\/paygo/],
  [
    'a fallback key from a Secret and workload identity',
    [AZURE],
    {
      upstream: { fallbacks: [{ name: 'paygo', baseUrl: 'https://paygo.example', workloadIdentity: {} }] },
      clients: [{ name: 'b', existingSecret: 's', fallbackKeys: { paygo: { keyName: 'k', workloadIdentity: {} } } }],
    },
    /"b" has fallbackKeys.paygo with a workloadIdentity and a Secret's key/,
  ],
  [
    'a keyed tenant reaching a fallback by workload identity without the Pod token',
    [FALLBACKS],
    { clients: [{ name: 'team-a', existingSecret: 's', upstreamKeyName: 'k', fallbackKeys: { paygo: { workloadIdentity: {} } } }] },
    /fallbackKeys.paygo.workloadIdentity, which needs upstream.workloadIdentity.enabled/,
  ],
];

for (const [name, files, values, message] of refusals) {
  t.test(name, async (t) => {
    t.match(renderFails({ values: [...files, valuesFile(t, values)] }), message);
  });
}
