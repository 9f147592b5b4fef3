// The project skeleton a newcomer relies on (deps, entry point, Makefile, README, CI, .env).
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './helpers/proxy';

const read = (file: string) => readFileSync(join(REPO_ROOT, file), 'utf8');

t.test('package.json: runtime deps are yaml and prom-client only; dist/main.js is main and bin', async (t) => {
  const pkg = JSON.parse(read('package.json'));
  t.same(Object.keys(pkg.dependencies ?? {}).sort(), ['prom-client', 'yaml']);
  t.equal(pkg.main, 'dist/main.js');
  const bins = typeof pkg.bin === 'string' ? [pkg.bin] : Object.values(pkg.bin ?? {});
  t.ok(bins.includes('dist/main.js'), 'bin points at dist/main.js');
  t.equal(pkg.scripts?.start, 'node dist/main.js');
});

t.test('tsconfig is strict', async (t) => {
  const tsconfig = JSON.parse(read('tsconfig.json'));
  t.equal(tsconfig.compilerOptions?.strict, true);
});

t.test('Makefile has run, test and build; run reads .env', async (t) => {
  const makefile = read('Makefile');
  for (const target of ['run', 'test', 'build']) t.match(makefile, new RegExp(`^${target}:`, 'm'), `target ${target}`);
  t.match(makefile, /\.env/, 'make run mentions .env');
});

t.test('README opens with make run and make test', async (t) => {
  t.ok(existsSync(join(REPO_ROOT, 'README.md')), 'README.md exists');
  const opening = existsSync(join(REPO_ROOT, 'README.md')) ? read('README.md').split('\n').slice(0, 30).join('\n') : '';
  t.match(opening, /make run/);
  t.match(opening, /make test/);
});

t.test('.ci/run calls make test; .env.example has the seed variables', async (t) => {
  t.match(read('.ci/run'), /make test/);
  const example = read('.env.example');
  for (const name of ['OPENAI_API_KEY', 'PROXY_X_API_KEY', 'OPENAI_BASE_URL']) t.match(example, new RegExp(`^${name}=`, 'm'), name);
});
