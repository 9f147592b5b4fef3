/**
 * compose.yaml run for real by docker-compose, as a user would after the README's Docker steps: key files in
 * ./secrets/, OPENAI_BASE_URL from the shell, no .env. The one change: the service's published ports are
 * replaced by the host's network (this machine has no bridge, and with network_mode compose creates no network;
 * the two cannot be combined, so the 127.0.0.1-only publishing is compose-file.test.ts's to check), and an
 * override file gives it the fake upstream's CA. Checked: compose's own healthcheck turns healthy, a chat completion with the
 * client key from its file, no key anywhere in `docker inspect`, a key file rewritten in place taking effect,
 * and `docker-compose stop` ending it with exit 0. Needs 127.0.0.1:18443 and :9090 free, as a user's would.
 * Run by test/image/image-check.sh after the chart scenarios.
 */
import OpenAI from 'openai';
import t from 'tap';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { sleep, startFakeUpstream } from '../helpers/fake-upstream';
import { CA_PEM, REPO_ROOT, randomKey } from '../helpers/proxy';
import { tempDir } from '../helpers/tmp';
import { leaksIn } from '../helpers/keys';
import { docker, inspect } from './docker';

const PROJECT = 'openai-proxy-check';

t.test('compose.yaml, up and down', async (t) => {
  const upstream = await startFakeUpstream({ t });
  const dir = tempDir(t);
  const keys = { upstream: randomKey('sk-compose-upstream'), client: randomKey('client-compose'), clientNext: randomKey('client-compose-next') };
  const file = parse(readFileSync(join(REPO_ROOT, 'compose.yaml'), 'utf8'));
  delete file.services['openai-proxy'].ports;
  writeFileSync(join(dir, 'compose.yaml'), stringify({ ...file, services: { 'openai-proxy': { ...file.services['openai-proxy'], network_mode: 'host' } } }));
  mkdirSync(join(dir, 'secrets'));
  writeFileSync(join(dir, 'secrets', 'openai-api-key'), `${keys.upstream}\n`, { mode: 0o644 });
  writeFileSync(join(dir, 'secrets', 'proxy-api-key'), `${keys.client}\n`, { mode: 0o644 });
  mkdirSync(join(dir, 'ca'));
  copyFileSync(CA_PEM, join(dir, 'ca', 'ca.pem'));
  const override = { services: { 'openai-proxy': { environment: { NODE_EXTRA_CA_CERTS: '/etc/upstream-ca/ca.pem' }, volumes: ['./ca:/etc/upstream-ca:ro'] } } };
  writeFileSync(join(dir, 'upstream-ca.yaml'), stringify(override));
  const compose = (...args: string[]) => run(dir, ['-p', PROJECT, '-f', 'compose.yaml', '-f', 'upstream-ca.yaml', ...args], upstream.url);
  const networksBefore = await docker(['network', 'ls', '--format', '{{.Name}}']);

  await compose('up', '--detach', '--no-build');
  t.teardown(() => compose('down', '--timeout', '1').catch(() => {}));
  const id = (await compose('ps', '--quiet')).trim();
  t.equal(await docker(['network', 'ls', '--format', '{{.Name}}']), networksBefore, 'compose created no network');

  const up = performance.now();
  t.equal(await healthOf(id), 'healthy', "compose's healthcheck passes in the image");
  t.comment(`healthy after ${Math.round(performance.now() - up)} ms`);
  const client = (apiKey: string) => new OpenAI({ baseURL: 'http://127.0.0.1:18443/v1', apiKey, maxRetries: 0 });
  const chat = await client(keys.client).chat.completions.create({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'hi' }] });
  t.equal(chat.choices[0]?.message.content, 'Hello from the fake upstream.', 'a chat completion with the key from secrets/proxy-api-key');
  t.ok(upstream.lastRequest()!.headers.authorization === `Bearer ${keys.upstream}`, 'the upstream key from secrets/openai-api-key');
  t.same(leaksIn([['docker inspect', JSON.stringify(await inspect(id))]], Object.values(keys)), [], 'no key in docker inspect');

  writeFileSync(join(dir, 'secrets', 'proxy-api-key'), `${keys.clientNext}\n`);
  let status = 0;
  for (const deadline = Date.now() + 15_000; Date.now() < deadline && status !== 200; await sleep(250)) {
    status = await client(keys.clientNext)
      .models.list()
      .then(
        () => 200,
        (e: { status?: number }) => e.status ?? 0,
      );
  }
  t.equal(status, 200, 'a key file rewritten in place takes effect without a restart');

  const stopping = performance.now();
  await compose('stop', '--timeout', '35');
  t.equal((await inspect(id)).State.ExitCode, 0, `docker-compose stop: the proxy drains and exits 0 (${Math.round(performance.now() - stopping)} ms)`);
  const logs = await docker(['logs', id], { both: true });
  const at = (event: string) => Date.parse(JSON.parse(logs.split('\n').find((l) => l.includes(`"event":"${event}"`)) ?? '{}').time);
  t.comment(`SIGTERM to shutdown_complete in the proxy: ${at('shutdown_complete') - at('signal')} ms`);
  t.same(leaksIn([['container logs', logs]], Object.values(keys)), [], 'no key in the logs');
  await compose('down');
});

function run(cwd: string, args: string[], upstreamUrl: string): Promise<string> {
  // The user's shell: OPENAI_BASE_URL set, nothing else of this process's environment but what compose needs.
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', DOCKER_HOST: process.env.DOCKER_HOST ?? '', OPENAI_BASE_URL: upstreamUrl };
  return new Promise((resolve, reject) => {
    execFile('docker-compose', args, { cwd, env, encoding: 'utf8', timeout: 120_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`docker-compose ${args.join(' ')}: ${stderr.trim() || err.message}`)) : resolve(stdout),
    );
  });
}

/** Waits for compose's healthcheck (every 10 s) to decide; the container's health status when it has. */
async function healthOf(id: string, timeoutMs = 45_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let status = 'starting';
  while (Date.now() < deadline && status === 'starting') {
    status = (await inspect(id)).State.Health?.Status ?? 'none';
    if (status === 'starting') await sleep(500);
  }
  return status;
}
