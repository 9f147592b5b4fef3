// What is not an AdmissionReview v1 request gets a 400 with a JSON error (there is no uid to answer to, so the
// API server applies the webhook's failurePolicy); wrong paths and methods get 404 and 405. The injector goes
// on answering, and counts each as invalid.
import t from 'tap';
import { admissionReview, fixturePod, review, startInjector } from '../helpers/injector';
import { fetchText } from '../helpers/proxy';
import { tempDir } from '../helpers/tmp';
import { renderInjector } from './rendered';

const bodies: Array<[string, unknown, RegExp]> = [
  ['not JSON', '{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionRev', /not JSON/],
  ['JSON, but not an object', '[1, 2, 3]', /not an AdmissionReview/],
  ['another kind', { apiVersion: 'admission.k8s.io/v1', kind: 'TokenReview', request: { uid: 'x' } }, /not an AdmissionReview/],
  ['v1beta1', { ...admissionReview(fixturePod('deployment-pod')), apiVersion: 'admission.k8s.io/v1beta1' }, /only admission\.k8s\.io\/v1/],
  ['no request', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }, /no request\.uid/],
  ['an empty uid', admissionReview(fixturePod('deployment-pod'), { uid: '' }), /no request\.uid/],
  ['an empty body', '', /not JSON/],
];

t.test('malformed bodies: 400, JSON, and the injector keeps serving', async (t) => {
  const { config } = renderInjector(tempDir(t));
  const injector = await startInjector(t, { config });
  for (const [name, body, message] of bodies) {
    const reply = await review(injector.url, body);
    t.equal(reply.status, 400, `${name}: 400`);
    t.match(reply.json, { error: message }, `${name}: a JSON error saying why`);
  }
  const good = admissionReview(fixturePod('deployment-pod'));
  t.equal((await review(injector.url, good)).json?.response?.uid, good.request.uid, 'a good review after them is answered');
  const metrics = (await fetchText(`${injector.adminUrl}/metrics`)).text;
  t.match(metrics, new RegExp(`openai_proxy_injections_total\\{result="invalid"\\} ${bodies.length}\\n`));
  t.match(metrics, /openai_proxy_injections_total\{result="injected"\} 1\n/);
  t.ok(injector.logs.filter((l) => l.event === 'admission_invalid').length === bodies.length, 'each logged');
});

t.test('wrong path or method', async (t) => {
  const { config } = renderInjector(tempDir(t));
  const injector = await startInjector(t, { config });
  const wrongPath = await fetch(`${injector.url}/mutate`, { method: 'POST', body: '{}' });
  t.equal(wrongPath.status, 404);
  t.match(await wrongPath.json(), { error: /served at \/inject/ });
  const get = await fetch(`${injector.url}/inject`);
  t.equal(get.status, 405);
  t.match(await get.json(), { error: /POST/ });
});
