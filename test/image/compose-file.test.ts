// compose.yaml on a clean clone: no .env needed (every interpolation has a default, no env_file), keys handed
// over as files from a directory git and the build context ignore (never as environment variables, which
// `docker inspect` shows), published on 127.0.0.1 only, the chart's image tag, and a stop grace period
// longer than the proxy's drain. `make image-check` also resolves it with a real docker-compose.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

const text = readFileSync('compose.yaml', 'utf8');
const service = parse(text).services['openai-proxy'];

t.test('starts without a .env file', async (t) => {
  t.equal(service.env_file, undefined, 'no env_file: compose refuses to start when it is missing');
  const bare = [...text.matchAll(/\$\{([A-Z_]+)(:-[^}]*)?\}/g)].filter((m) => !m[2]).map((m) => m[1]);
  // biome-ignore lint/suspicious/noTemplateCurlyInString: compose's variable syntax, not a template literal.
  t.same(bare, [], 'every ${VAR} has a default');
});

t.test('keys are files, never environment variables', async (t) => {
  const env = Object.keys(service.environment);
  t.same(
    env.filter((name) => /KEY$/.test(name)),
    [],
    'no key in the environment',
  );
  t.ok(env.includes('OPENAI_API_KEY_FILE') && env.includes('PROXY_X_API_KEY_FILE'), 'the key files are named');
  const [source, target, mode] = service.volumes[0].split(':');
  t.equal(mode, 'ro', 'mounted read-only');
  t.ok(service.environment.OPENAI_API_KEY_FILE.startsWith(`${target}/`), 'the upstream key file is in the mounted directory');
  const dir = source.replace(/^\.\//, '');
  t.ok(readFileSync('.gitignore', 'utf8').split('\n').includes(`${dir}/`), `${dir}/ is ignored by git`);
  t.ok(readFileSync('.dockerignore', 'utf8').split('\n').includes(dir), `${dir} is left out of build contexts`);
});

t.test('published on localhost only', async (t) => {
  for (const port of service.ports) t.match(port, /^127\.0\.0\.1:/, port);
});

t.test("the chart's image, and time to drain", async (t) => {
  const appVersion = /^appVersion: "(.*)"$/m.exec(readFileSync('chart/Chart.yaml', 'utf8'))![1];
  t.equal(service.image, `openai-proxy:${appVersion}`);
  t.ok(Number.parseInt(service.stop_grace_period, 10) > 30, 'longer than the 30 s SHUTDOWN_GRACE_MS default');
});
