// The Pods roll when the chart's own ConfigMap or Secret changes (a checksum annotation on the Pod template);
// a key in an existing Secret changes in place instead, since the proxy re-reads its mounted files.
import t from 'tap';
import { find, render, type RenderOptions } from './helm';

const annotations = (opts: RenderOptions) => find(render(opts), 'Deployment').spec.template.metadata.annotations;

t.test('checksum/config follows the config file', async (t) => {
  const base = annotations({ values: ['chart/ci/service-values.yaml'] });
  t.match(base['checksum/config'], /^[0-9a-f]{64}$/);
  t.equal(
    annotations({ values: ['chart/ci/service-values.yaml'], set: ['replicaCount=3'] })['checksum/config'],
    base['checksum/config'],
    'unchanged by other values',
  );
  t.not(
    annotations({ values: ['chart/ci/service-values.yaml'], set: ['models[0]=gpt-5'] })['checksum/config'],
    base['checksum/config'],
    'changed by the config',
  );
  t.equal(base['checksum/secret'], undefined, 'no Secret of its own, no secret checksum');
});

t.test('checksum/secret follows a chart-made Secret', async (t) => {
  const base = annotations({ values: ['chart/ci/service-create-values.yaml'] });
  t.match(base['checksum/secret'], /^[0-9a-f]{64}$/);
  const rotated = annotations({ values: ['chart/ci/service-create-values.yaml'], set: ['auth.proxyApiKey=another-client-key'] });
  t.not(rotated['checksum/secret'], base['checksum/secret']);
  t.equal(rotated['checksum/config'], base['checksum/config']);
});

t.test('sidecar mode carries them too, next to the user podAnnotations', async (t) => {
  const a = annotations({ values: ['chart/ci/sidecar-values.yaml'], set: ['podAnnotations.team=chat'] });
  t.match(a, { 'checksum/config': /^[0-9a-f]{64}$/, team: 'chat' });
});
