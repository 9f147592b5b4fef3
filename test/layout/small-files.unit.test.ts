import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { SRC, sourceFiles } from './imports';

/** A module that needs more is doing more than one job. */
const MAX_LINES = 300;

t.test(`no file in src/ is over ${MAX_LINES} lines`, async (t) => {
  for (const file of sourceFiles()) {
    const lines = readFileSync(join(SRC, file), 'utf8').split('\n').length - 1;
    t.ok(lines <= MAX_LINES, `src/${file}: ${lines} lines`);
  }
});
