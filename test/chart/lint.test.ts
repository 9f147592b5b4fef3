// `helm lint --strict` passes with every chart/ci values file (one per mode and feature), and fails with the
// bare defaults, which name no key Secret on purpose.
import t from 'tap';
import { CHART, CI_VALUES, helm } from './helm';

t.ok(CI_VALUES.length >= 2, 'there are ci values files to lint');

for (const file of CI_VALUES) {
  t.test(file, async (t) => {
    const out = helm(['lint', '--strict', CHART, '--values', file]);
    t.match(out, /1 chart\(s\) linted, 0 chart\(s\) failed/);
  });
}

t.test('defaults alone are refused: a key Secret must be chosen', async (t) => {
  t.throws(() => helm(['lint', '--strict', CHART]), /existingSecret/);
});
