// Path tricks (unit level): tens of thousands of seeded random request targets through
// normaliseTarget + matchEndpoint with the default allowlist. Whatever is admitted must still be inside the
// allowlist when a server behind the proxy reads it the standard way (percent-decoded once, dot segments
// resolved by node:path, `\` as `/`), and what is checked is what is sent: normalising again changes nothing.
// A failure prints the seed and the target, so it can be replayed.
import t from 'tap';
import { DEFAULT_ENDPOINTS, matchEndpoint, normaliseTarget } from '../../src/http/routes';
import { ALLOWLIST, generateTarget, inAllowlist, prng, referencePath } from '../helpers/paths';

const SEED = 0x4f50_5859; // fixed, so every run checks the same targets
const COUNT = 50_000;

t.test('the allowlist restated here is the proxy default', async (t) => {
  t.same([...DEFAULT_ENDPOINTS].sort(), [...ALLOWLIST].sort());
});

t.test(`${COUNT} random targets (seed ${SEED.toString(16)}): nothing admitted resolves outside the allowlist`, async (t) => {
  const rand = prng(SEED);
  const failures: string[] = [];
  let admitted = 0;
  for (let i = 0; i < COUNT; i++) {
    const raw = generateTarget(rand);
    const target = normaliseTarget(raw);
    const endpoint = target && matchEndpoint(target.path, DEFAULT_ENDPOINTS);
    if (!target || !endpoint) continue;
    admitted++;
    const problems: string[] = [];
    if (!inAllowlist(target.path)) problems.push('sent path not in the allowlist');
    if (!inAllowlist(referencePath(target.path, 'once'))) problems.push(`sent path reads as ${JSON.stringify(referencePath(target.path, 'once'))}`);
    if (!inAllowlist(referencePath(raw, 'once'))) problems.push(`raw target reads as ${JSON.stringify(referencePath(raw, 'once'))}`);
    const again = normaliseTarget(target.path);
    if (again?.path !== target.path) problems.push(`normalising again gives ${JSON.stringify(again?.path)}`);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters in a sent path are what this looks for.
    if (/(^|\/)\.\.?(\/|$)|\/\/|\\|[\x00-\x20\x7f]/.test(target.path)) problems.push('sent path has dot segments, //, \\ or controls');
    if (problems.length) failures.push(`#${i} ${JSON.stringify(raw)} -> ${JSON.stringify(target.path)}: ${problems.join('; ')}`);
  }
  t.ok(admitted > COUNT / 40, `the generator reaches the allowlist often enough to test it (${admitted} of ${COUNT} admitted)`);
  t.ok(admitted < COUNT, 'and is refused often too');
  t.same(failures.slice(0, 20), [], `no admitted target escapes (${failures.length} failures)`);
});
