// With fallbacks, the NOTES name the upstreams in order and when a request moves on, and each client with an
// upstream key of its own that has no key for a fallback: its requests never go there.
import t from 'tap';
import { CHART, NAMESPACE, RELEASE, helm } from './helm';
import { valuesFile } from './values-file';

const notes = (files: string[]) => {
  const out = helm(['install', RELEASE, CHART, '--namespace', NAMESPACE, ...files.flatMap((f) => ['--values', f]), '--dry-run=client']);
  return out.slice(out.indexOf('NOTES:'));
};

t.test('the chain, and who never falls back', async (t) => {
  const text = notes(['chart/ci/service-fallbacks-values.yaml']);
  t.match(text, 'Upstreams, in order: ptu -> paygo (the next on 429, 500, 502, 503, 504, connect).');
  t.notMatch(text, 'Client team-a', 'team-a has its own paygo key');
  const bare = valuesFile(t, { clients: [{ name: 'team-b', existingSecret: 'team-b-openai-proxy', upstreamKeyName: 'ptu-key' }] });
  t.match(
    notes(['chart/ci/service-fallbacks-values.yaml', bare]),
    'Client team-b has an upstream key of its own and none for paygo (clients[].fallbackKeys): it never goes there.',
  );
});

t.test('no fallbacks: nothing about them', async (t) => {
  t.notMatch(notes(['chart/ci/service-values.yaml']), 'Upstreams, in order');
});
