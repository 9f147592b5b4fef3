// Every environment variable the configuration reads is in the README's configuration reference: variables
// were added (PROXY_STREAM_USAGE, PROXY_ENDPOINTS) that only a commit message named.
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/proxy';
import { section } from './readme';

const configDir = join(REPO_ROOT, 'src', 'config');
/** Quoted upper-case names in src/config/ are the variables it reads (`get('HOST')`, `env.PROXY_MODELS`). */
const read = new Set<string>();
for (const name of readdirSync(configDir).filter((n) => n.endsWith('.ts'))) {
  const source = readFileSync(join(configDir, name), 'utf8');
  for (const m of source.matchAll(/'([A-Z][A-Z0-9]*_[A-Z0-9_]+|HOST|PORT)'|\benv\.([A-Z][A-Z0-9_]+)/g)) read.add((m[1] ?? m[2])!);
}

t.test('the configuration reference names each variable', async (t) => {
  t.ok(read.size >= 20, `the variables were found in src/config/ (${read.size})`);
  const reference = section('Configuration reference');
  const documented = new Set([...reference.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]!));
  for (const name of [...read].sort()) t.ok(documented.has(name), `${name} is in the configuration reference`);
});
