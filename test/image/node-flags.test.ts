// The Node flags the proxy runs with: the image's CMD is where they live (the chart and the injector run the
// image's CMD), `make run` and `npm start` repeat them, and `make bench` reads them from the CMD. A flag this Node no longer
// takes would stop the container at start, so each is tried here.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const cmd = /^CMD (\[.*\])$/m.exec(readFileSync('Dockerfile', 'utf8'));
const argv: string[] = cmd ? JSON.parse(cmd[1]!) : [];
const flags = argv.slice(1, -1);

t.test('the CMD is node, its flags, dist/main.js', async (t) => {
  t.equal(argv[0], 'node');
  t.equal(argv.at(-1), 'dist/main.js');
  t.ok(flags.every((flag) => flag.startsWith('--')), `only flags between them: ${flags.join(' ')}`);
});

t.test('make run starts the proxy with the same flags', async (t) => {
  const makefile = readFileSync('Makefile', 'utf8');
  const nodeFlags = /^NODE_FLAGS := (.*)$/m.exec(makefile)?.[1]?.trim().split(/\s+/);
  t.same(nodeFlags, flags, 'NODE_FLAGS in the Makefile');
  const run = /^run: .*\n((?:\t.*\n)+)/m.exec(makefile)?.[1] ?? '';
  t.equal(run.match(/\bnode \$\(NODE_FLAGS\) /g)?.length, 2, 'both of its node commands (with and without .env) pass them');
});

t.test('npm start starts it with them too', async (t) => {
  const { scripts } = JSON.parse(readFileSync('package.json', 'utf8'));
  t.equal(scripts.start, ['node', ...flags, 'dist/main.js'].join(' '));
});

t.test('this Node takes every flag', async (t) => {
  const r = spawnSync(process.execPath, [...flags, '-e', 'process.exit(0)'], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stderr, '', 'no warning about them');
});
