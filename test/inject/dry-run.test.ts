// `kubectl apply --dry-run=server` sends the same review with dryRun: true. The injector has no side
// effects (sideEffects: None), so it answers exactly as for a real create, and logs that it was a dry run.
import t from 'tap';
import { admissionReview, fixturePod, review, startInjector } from '../helpers/injector';
import { tempDir } from '../helpers/tmp';
import { renderInjector } from './rendered';

t.test('dry run: the same patch', async (t) => {
  const { config } = renderInjector(tempDir(t));
  const injector = await startInjector(t, { config });
  const real = admissionReview(fixturePod('deployment-pod'));
  const dry = admissionReview(fixturePod('deployment-pod'), { dryRun: true });
  const [a, b] = [await review(injector.url, real), await review(injector.url, dry)];
  t.equal(b.json!.response.uid, dry.request.uid);
  t.equal(b.json!.response.patch, a.json!.response.patch, 'the same patch');
  t.match(await injector.waitForLog((l) => l.uid === dry.request.uid), { result: 'injected', dryRun: true });
});
