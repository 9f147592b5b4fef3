// `helm lint --strict` passes with every chart/ci values file (one per mode and feature). The bare defaults
// name no key Secret on purpose: the chart then says which value to set.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { CHART, CI_VALUES, HELM, helm, renderFails } from './helm';

t.ok(CI_VALUES.length >= 2, 'there are ci values files to lint');

for (const file of CI_VALUES) {
  t.test(file, async (t) => {
    const out = helm(['lint', '--strict', CHART, '--values', file]);
    t.match(out, /1 chart\(s\) linted, 0 chart\(s\) failed/);
  });
}

// Helm's lint mode turns a template's `fail` into a logged message rather than an error, so the defaults lint
// clean: what the user sees is the message saying what to set, the same one `helm install` stops with.
t.test('defaults alone: lint and template say which value to set', async (t) => {
  const lint = spawnSync(HELM, ['lint', '--strict', CHART], { encoding: 'utf8' });
  t.match(lint.stdout + lint.stderr, /auth\.existingSecret is not set: create a Secret holding the upstream key as openai-api-key/);
  t.match(
    renderFails({}),
    /auth\.existingSecret is not set: .*set auth\.existingSecret=openai-proxy-keys; or, only to try the chart out, set auth\.create=true/,
  );
});
