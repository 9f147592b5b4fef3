// The app container in sidecar mode gets OPENAI_BASE_URL=http://127.0.0.1:<port>/v1, so the official SDKs need
// no code change, and never sees the key Secret (no volume, no env reference).
import t from 'tap';
import { KUBE_VERSIONS, appContainers, envOf, podSpec, render, type K8sObject } from './helm';

for (const kube of KUBE_VERSIONS) {
  for (const [file, keySecret] of [
    ['chart/ci/sidecar-values.yaml', 'openai-api-key'],
    ['chart/ci/sidecar-key-values.yaml', 'openai-proxy-keys'],
  ] as const) {
    t.test(`${file} on ${kube}`, async (t) => {
      const spec = podSpec(render({ values: [file], kube }));
      const apps = appContainers(spec);
      t.equal(apps.length, 1, 'one app container');
      const app = apps[0]!;
      t.equal(envOf(app).OPENAI_BASE_URL, 'http://127.0.0.1:18443/v1');
      const keyVolumes = spec.volumes.filter((v: K8sObject) => v.secret).map((v: K8sObject) => v.name);
      t.notOk(
        (app.volumeMounts ?? []).some((m: K8sObject) => keyVolumes.includes(m.name)),
        'no Secret volume mounted',
      );
      t.equal(app.envFrom, undefined, 'no envFrom');
      t.notOk(JSON.stringify(app).includes(`"${keySecret}"`), `no reference to Secret ${keySecret}`);
      const names = app.env.map((e: K8sObject) => e.name);
      t.equal(new Set(names).size, names.length, 'no variable set twice');
    });
  }
}

t.test('with clientAuth none the app gets a placeholder key (the SDKs insist on one), never the real one', async (t) => {
  const env = envOf(appContainers(podSpec(render({ values: ['chart/ci/sidecar-values.yaml'] })))[0]!);
  t.match(env.OPENAI_API_KEY, /^unused-/);
  t.equal(env.LOG_FORMAT, 'json', "the app's own env is kept");
});

t.test("the app's own OPENAI_API_KEY wins (clientAuth key: its client key, from its own Secret)", async (t) => {
  const app = appContainers(podSpec(render({ values: ['chart/ci/sidecar-key-values.yaml'] })))[0]!;
  const keys = app.env.filter((e: K8sObject) => e.name === 'OPENAI_API_KEY');
  t.same(keys, [{ name: 'OPENAI_API_KEY', valueFrom: { secretKeyRef: { name: 'worker-proxy-client-key', key: 'key' } } }]);
  t.same(app.args, ['--queue', 'jobs']);
});

t.test('OPENAI_BASE_URL follows proxy.port', async (t) => {
  const spec = podSpec(render({ values: ['chart/ci/sidecar-values.yaml'], set: ['proxy.port=28443'] }));
  t.equal(envOf(appContainers(spec)[0]!).OPENAI_BASE_URL, 'http://127.0.0.1:28443/v1');
});
