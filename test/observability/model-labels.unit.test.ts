import t from 'tap';
import { MAX_SEEN_MODELS, ModelLabels } from '../../src/observability/model-labels';

const noKeys = () => false;

t.test('configured models, then the first 50 distinct names seen, then other', async (t) => {
  const labels = new ModelLabels(new Set(['gpt-4.1-mini']), noKeys);
  t.equal(labels.label(undefined), 'none', 'no model in the request');
  t.equal(labels.label('gpt-4.1-mini'), 'gpt-4.1-mini', 'configured');
  const seen = Array.from({ length: MAX_SEEN_MODELS }, (_, i) => `model-${i}`);
  for (const name of seen) t.equal(labels.label(name), name, `${name}: one of the first ${MAX_SEEN_MODELS}`);
  t.equal(labels.label('model-late'), 'other', 'the 51st distinct name');
  t.equal(labels.label('model-0'), 'model-0', 'a name seen early keeps its label');
  t.equal(labels.label('gpt-4.1-mini'), 'gpt-4.1-mini', 'configured models never count against the 50');
});

t.test('names that must not become labels: keys, very long or unprintable ones', async (t) => {
  const labels = new ModelLabels(new Set(), (name) => name === 'sk-the-upstream-key');
  t.equal(labels.label('sk-the-upstream-key'), 'other', 'a key pasted into model');
  t.equal(labels.label('x'.repeat(129)), 'other', 'over 128 characters');
  t.equal(labels.label('gpt 4'), 'other', 'a space');
  t.equal(labels.label('gpt\n4'), 'other', 'a line break');
  t.equal(labels.label('ft:gpt-4.1-mini:acme::abc123'), 'ft:gpt-4.1-mini:acme::abc123', 'fine-tuned ids pass');
});
