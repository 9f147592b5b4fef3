// The README is for users, and short enough to read: at most 700 lines, `make run` and `make test` at the top,
// then what it is, the quick start, the two modes, the configuration reference, errors, metrics, limits, the
// chart values, troubleshooting and upgrading, in that order; the maintainers' material lives in docs/. It was
// 1,400 lines, with the reliability table, the performance record and the behaviour notes in it.
import t from 'tap';
import { README } from './readme';

const headings = [...README.matchAll(/^(#{2,3}) (.+)$/gm)].map((m) => m[2]!);

t.test('length and opening', async (t) => {
  const lines = README.split('\n').length - (README.endsWith('\n') ? 1 : 0);
  t.ok(lines <= 700, `at most 700 lines (${lines})`);
  const opening = README.split('\n').slice(0, 8).join('\n');
  t.match(opening, /^make run\b/m, 'make run at the top');
  t.match(opening, /^make test\b/m, 'make test at the top');
});

t.test('the sections a user looks for, in order', async (t) => {
  const order = [
    'See it work',
    'Quick start with your OpenAI key',
    'A shared Service or a sidecar',
    'Configuration reference',
    'Usage and limits per client',
    'Errors',
    'Metrics, health, logs',
    'Chart values',
    'Troubleshooting',
    'Upgrading',
    'Code layout',
  ];
  let last = -1;
  for (const heading of order) {
    const at = headings.indexOf(heading);
    t.ok(at > last, `"${heading}" is there, after the one before`);
    if (at >= 0) last = at;
  }
});

t.test('the maintainers material is linked, not inlined', async (t) => {
  for (const doc of ['docs/reliability.md', 'docs/performance.md', 'docs/behaviour.md']) t.match(README, `](${doc}`, `links ${doc}`);
  t.notMatch(README, /^\| input or fault \|/m, 'no reliability table');
  t.notMatch(README, /^\| small JSON `POST/m, 'no performance table');
});
