// The README and the docs are for the product's users and operators: they describe the product and give
// reasons, not its history. They used to speak of "the seed's three variables", "the contract", issue numbers,
// targets "not met" and figures from "this machine", with commit ids beside them.
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/proxy';

const HISTORY: ReadonlyArray<readonly [string, RegExp]> = [
  ['issue numbers', /\bissues? #?[0-9]+/i],
  ['"the contract"', /\bthe contract\b/i],
  ['"the seed"', /\bthe seed/i],
  ['a section on differences from a contract', /differs from the/i],
  ['"not met"', /\bnot met\b/i],
  ['"out of reach"', /\bout of reach\b/i],
  ['"this machine"', /\bthis machine\b/i],
  ['"development machine"', /\bdevelopment machine\b/i],
  // A short commit id: 7 to 12 hex digits with a letter and a digit among them (keys and digests are longer).
  ['commit ids', /\b(?=[0-9a-f]*[a-f])(?=[0-9a-f]*[0-9])[0-9a-f]{7,12}\b/],
];

const docs = readdirSync(join(REPO_ROOT, 'docs'))
  .filter((name) => name.endsWith('.md'))
  .map((name) => `docs/${name}`);

for (const file of ['README.md', 'chart/README.md', 'CHANGELOG.md', ...docs]) {
  t.test(file, async (t) => {
    const text = readFileSync(join(REPO_ROOT, file), 'utf8');
    for (const [what, pattern] of HISTORY) {
      const hit = pattern.exec(text);
      t.notOk(hit, `no ${what}${hit ? `: "${text.slice(Math.max(0, hit.index - 40), hit.index + 40)}"` : ''}`);
    }
  });
}
