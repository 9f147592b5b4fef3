// The Quick start's curls used $PROXY_X_API_KEY, which `make run` never puts in the reader's shell, so they
// answered 401. The README now gives a line that puts the client key, and only it, into the shell. This runs
// that line in bash against a .env like the one the reader made, then the Quick start's curls through the
// real proxy started from the same .env.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeUpstream } from '../helpers/fake-upstream';
import { request } from '../helpers/http';
import { assertNoKeyLeak, randomKey, startProxy } from '../helpers/proxy';
import { tempDir } from '../helpers/tmp';
import { codeBlocks, curlCommands, parseCurl, section } from './readme';

const QUICK_START = section('Quick start with your OpenAI key');

t.test("the README's line puts the client key into the shell, and neither the real key nor the base URL", async (t) => {
  const exportLine = codeBlocks(QUICK_START, 'sh')
    .flatMap((b) => b.split('\n'))
    .find((l) => l.startsWith('export PROXY_X_API_KEY='));
  t.ok(exportLine, 'the Quick start has an export line for the client key');
  const dir = tempDir(t);
  const env = { OPENAI_API_KEY: randomKey('sk-test-upstream'), PROXY_X_API_KEY: randomKey('pk-test'), OPENAI_BASE_URL: 'https://api.openai.com' };
  writeFileSync(
    join(dir, '.env'),
    Object.entries(env)
      .map(([k, v]) => `${k}=${v}\n`)
      .join(''),
  );
  const shell = execFileSync('bash', ['-c', `${exportLine}\nenv`], { cwd: dir, env: { PATH: process.env.PATH! }, encoding: 'utf8' });
  const vars = Object.fromEntries(shell.split('\n').map((line) => [line.split('=', 1)[0], line.slice(line.indexOf('=') + 1)]));
  t.ok(vars.PROXY_X_API_KEY === env.PROXY_X_API_KEY, 'PROXY_X_API_KEY is the client key from .env');
  t.notOk('OPENAI_API_KEY' in vars, 'the real key stays out of the shell');
  t.notOk('OPENAI_BASE_URL' in vars, 'so does a base URL that would bypass the proxy');

  const up = await startFakeUpstream({ t });
  const proxy = await startProxy(t, { upstream: up, env: { OPENAI_API_KEY: env.OPENAI_API_KEY, PROXY_X_API_KEY: env.PROXY_X_API_KEY } });
  const curls = curlCommands(QUICK_START);
  t.ok(curls.length >= 2, 'the Quick start has its curls');
  const texts: string[] = [];
  for (const command of curls) {
    const curl = parseCurl(command, { PROXY_X_API_KEY: vars.PROXY_X_API_KEY! });
    const res = await request(curl.url.replace('http://localhost:18443', proxy.url), { method: curl.method, headers: curl.headers, body: curl.body });
    texts.push(res.text);
    t.equal(res.status, 200, `${curl.method} ${new URL(curl.url).pathname}: 200`);
  }
  t.equal(up.requests.length, curls.length, 'each went through');
  await assertNoKeyLeak(t, proxy, Object.values(env).slice(0, 2), texts);
});
