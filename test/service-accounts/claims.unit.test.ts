// The claim rules of a ServiceAccount token, each at its edge: iss, aud (string or list), exp (required),
// nbf and iat, all with 60 s of clock skew, and the kubernetes.io namespace and ServiceAccount name.
import t from 'tap';
import { checkClaims } from '../../src/service-accounts/claims';
import { TOKEN_AUDIENCE, TOKEN_ISSUER, serviceAccountClaims } from '../helpers/service-accounts';

const rules = { issuer: TOKEN_ISSUER, audience: TOKEN_AUDIENCE };
const now = 1_750_000_000;
const base = () => serviceAccountClaims({ issuedAt: now - 100, expiresIn: 600 });

t.test('a projected token as the API server issues it is accepted as namespace/name', async (t) => {
  const identity = checkClaims(base(), rules, now);
  t.same(identity, { namespace: 'team-a', name: 'chatbot', id: 'team-a/chatbot', expiresAt: now + 500 });
});

t.test('iss must equal the issuer exactly', async (t) => {
  for (const iss of [`${TOKEN_ISSUER}/`, 'https://kubernetes.default.svc', 'kubernetes/serviceaccount', undefined, ['x']]) {
    t.equal(checkClaims({ ...base(), iss }, rules, now), 'token_issuer', JSON.stringify(iss));
  }
});

t.test('aud may be a string or a list, and must equal or hold the audience', async (t) => {
  t.type(checkClaims({ ...base(), aud: TOKEN_AUDIENCE }, rules, now), 'object', 'a string');
  t.type(checkClaims({ ...base(), aud: ['https://kubernetes.default.svc.cluster.local', TOKEN_AUDIENCE] }, rules, now), 'object', 'a list holding it');
  for (const aud of [['https://kubernetes.default.svc.cluster.local'], 'openai-proxy-2', [], undefined, `${TOKEN_AUDIENCE},x`, { 0: TOKEN_AUDIENCE }]) {
    t.equal(checkClaims({ ...base(), aud }, rules, now), 'token_audience', JSON.stringify(aud));
  }
});

t.test('exp is required and must be in the future, with 60 s of skew', async (t) => {
  const { exp, ...noExp } = base();
  t.ok(exp);
  t.equal(checkClaims(noExp, rules, now), 'token_no_expiry', 'absent');
  t.equal(checkClaims({ ...base(), exp: String(now + 100) }, rules, now), 'token_no_expiry', 'a string is not a NumericDate');
  t.equal(checkClaims({ ...base(), exp: null }, rules, now), 'token_no_expiry', 'null');
  t.type(checkClaims({ ...base(), exp: now - 59 }, rules, now), 'object', 'expired 59 s ago: within the skew');
  t.equal(checkClaims({ ...base(), exp: now - 60 }, rules, now), 'token_expired', 'expired 60 s ago');
  t.equal(checkClaims({ ...base(), exp: now - 3600 }, rules, now), 'token_expired', 'expired an hour ago');
});

t.test('nbf and iat must not be in the future, with 60 s of skew; either may be absent', async (t) => {
  for (const claim of ['nbf', 'iat'] as const) {
    t.type(checkClaims({ ...base(), [claim]: now + 60 }, rules, now), 'object', `${claim} 60 s ahead: within the skew`);
    t.equal(checkClaims({ ...base(), [claim]: now + 61 }, rules, now), 'token_not_yet_valid', `${claim} 61 s ahead`);
    t.equal(checkClaims({ ...base(), [claim]: 'soon' }, rules, now), 'token_malformed', `${claim} not a number`);
    const without = base();
    delete without[claim];
    t.type(checkClaims(without, rules, now), 'object', `${claim} absent`);
  }
});

t.test('the namespace and ServiceAccount name must both be there', async (t) => {
  const k8s = base()['kubernetes.io'];
  const cases: Array<[string, unknown]> = [
    ['no kubernetes.io', undefined],
    ['kubernetes.io not an object', 'team-a'],
    ['no namespace', { ...k8s, namespace: undefined }],
    ['empty namespace', { ...k8s, namespace: '' }],
    ['no serviceaccount', { ...k8s, serviceaccount: undefined }],
    ['serviceaccount without name', { ...k8s, serviceaccount: { uid: 'x' } }],
    ['name not a string', { ...k8s, serviceaccount: { name: 7 } }],
  ];
  for (const [what, value] of cases) t.equal(checkClaims({ ...base(), 'kubernetes.io': value }, rules, now), 'token_not_a_service_account', what);
  // A legacy Secret-based token: another issuer, no exp, flat claims. Refused on the first rule it breaks.
  const legacy = {
    iss: 'kubernetes/serviceaccount',
    'kubernetes.io/serviceaccount/namespace': 'team-a',
    'kubernetes.io/serviceaccount/service-account.name': 'chatbot',
    sub: 'system:serviceaccount:team-a:chatbot',
  };
  t.equal(checkClaims(legacy, rules, now), 'token_issuer', 'a legacy Secret token');
});
