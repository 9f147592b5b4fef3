// Every test the README and the docs name exists: the reliability table and the docs point readers at test
// files as the proof of a behaviour, and tests moved (into test/<src folder>/) while the text kept the old paths.
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/proxy';
import { docFiles } from './readme';

const files = docFiles();

for (const file of files) {
  t.test(file, async (t) => {
    const text = readFileSync(join(REPO_ROOT, file), 'utf8');
    // A path ends where a file name ends: trailing punctuation of the sentence is not part of it.
    const named = new Set([...text.matchAll(/\btest\/[\w./-]+/g)].map((m) => m[0].replace(/[.,;:]+$/, '')));
    if (named.size === 0) t.pass('names no test path');
    for (const path of named) t.ok(existsSync(join(REPO_ROOT, path)), `${path} exists`);
  });
}
