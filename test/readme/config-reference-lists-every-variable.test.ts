// Every environment variable the configuration loader reads is in the README's configuration reference:
// variables were added (PROXY_STREAM_USAGE, PROXY_ENDPOINTS) that only a commit message named.
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from '../helpers/proxy';
import { section } from './readme';

/** src/config/config.ts and the modules of src/config/ it imports, directly or not: what loading a config runs. */
function loaderModules(): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const m of readFileSync(file, 'utf8').matchAll(/from '(\.\/[\w-]+)'/g)) {
      const next = join(dirname(file), `${m[1]}.ts`);
      if (existsSync(next)) visit(next);
    }
  };
  visit(join(REPO_ROOT, 'src', 'config', 'config.ts'));
  return [...seen];
}

/** Quoted upper-case names are the variables read (`get('HOST')`, `secretFromEnv(env, 'PROXY_X_API_KEY')`, `env.PROXY_MODELS`). */
const read = new Set<string>();
for (const file of loaderModules()) {
  for (const m of readFileSync(file, 'utf8').matchAll(/'([A-Z][A-Z0-9]*_[A-Z0-9_]+|HOST|PORT)'|\benv\.([A-Z][A-Z0-9_]+)/g)) read.add((m[1] ?? m[2])!);
}

t.test('the configuration reference names each variable', async (t) => {
  t.ok(read.size >= 20, `the variables were found in the loader's modules (${read.size})`);
  const reference = section('Configuration reference');
  const documented = new Set([...reference.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]!));
  for (const name of [...read].sort()) t.ok(documented.has(name), `${name} is in the configuration reference`);
});
