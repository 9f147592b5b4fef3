// Path tricks (unit level, defence in depth): the same seeded targets, read the way a careless
// server behind the proxy might: percent-decoded until nothing changes (`%252e` -> `%2e` -> `.`), overlong
// UTF-8 accepted (`%c0%ae` -> `.`), NFKC (fullwidth `．` -> `.`), `%u002e`, `..;` (servlet path parameters),
// NUL ending the path. The proxy forwards its normalised path; no admitted target should read as a path
// outside the allowlist even then.
import t from 'tap';
import { DEFAULT_ENDPOINTS, matchEndpoint, normaliseTarget } from '../../src/http/routes';
import { generateTarget, inAllowlist, prng, referencePath } from '../helpers/paths';

const SEED = 0x4f50_5859;
const COUNT = 50_000;

t.test(`${COUNT} random targets (seed ${SEED.toString(16)}): nothing admitted reads outside the allowlist under repeated decoding`, async (t) => {
  const rand = prng(SEED);
  const failures: string[] = [];
  const kinds = new Map<string, number>();
  for (let i = 0; i < COUNT; i++) {
    const raw = generateTarget(rand);
    const target = normaliseTarget(raw);
    if (!target || !matchEndpoint(target.path, DEFAULT_ENDPOINTS)) continue;
    const read = referencePath(target.path, 'repeated');
    if (inAllowlist(read)) continue;
    failures.push(`#${i} ${JSON.stringify(raw)} -> sent ${JSON.stringify(target.path)} -> reads ${JSON.stringify(read)}`);
    for (const kind of ['%25', '%C0', '%E0', '%EF', '\uff0e', ';', '%u', '\\']) if (target.path.includes(kind)) kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  t.same(failures.slice(0, 15), [], `no admitted target reads outside (${failures.length} do; by marker: ${JSON.stringify(Object.fromEntries(kinds))})`);
});
