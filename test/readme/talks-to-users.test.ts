// The READMEs are for the product's users: they describe the product and give reasons, not its history. They
// used to speak of "the seed's three variables", "the contract", issue numbers and a section on how the
// product differs from its contract.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/proxy';

for (const file of ['README.md', 'chart/README.md']) {
  t.test(file, async (t) => {
    const text = readFileSync(join(REPO_ROOT, file), 'utf8');
    for (const [what, pattern] of [
      ['issue numbers', /\bissues? #?[0-9]+/i],
      ['"the contract"', /\bthe contract\b/i],
      ['"the seed"', /\bthe seed/i],
      ['a section on differences from a contract', /differs from the/i],
    ] as const) {
      const hit = pattern.exec(text);
      t.notOk(hit, `no ${what}${hit ? `: "${text.slice(Math.max(0, hit.index - 40), hit.index + 40)}"` : ''}`);
    }
  });
}
