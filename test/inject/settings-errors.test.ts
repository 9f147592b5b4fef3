// The injector refuses to start on a bad setting, with exit code 1 and every problem named by its setting,
// as the proxy does: it never runs half-configured.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NEXT_KEY, SERVER_CERT, injectorEnv } from '../helpers/injector';
import { spawnMain, stopChild } from '../helpers/proxy';
import { tempDir } from '../helpers/tmp';
import { renderInjector } from './rendered';

async function refusal(env: Record<string, string>): Promise<{ code: number | null; stderr: string; problems: Array<{ setting: string; message: string }> }> {
  const c = spawnMain(env, ['inject']);
  const code = await Promise.race([c.exited.then((e) => e.code), new Promise<null>((r) => setTimeout(() => r(null), 10_000))]);
  if (code === null) await stopChild(c, 'SIGKILL', 1000);
  const line = c.logs.find((l) => l.event === 'config_invalid');
  return { code, stderr: c.out.stderr, problems: line?.problems ?? [] };
}

t.test('nothing set: every required setting named', async (t) => {
  const { code, stderr, problems } = await refusal({ PATH: process.env.PATH!, INJECT_PORT: 'https' });
  t.equal(code, 1);
  t.same(problems.map((p) => p.setting).sort(), ['INJECT_CONFIG', 'INJECT_PORT', 'INJECT_TLS_CERT_FILE', 'INJECT_TLS_KEY_FILE']);
  t.match(stderr, /invalid configuration\n {2}- /);
});

t.test("unreadable files, a bad sidecar file, a key that is not the certificate's", async (t) => {
  const dir = tempDir(t);
  const { config } = renderInjector(dir);
  const missing = await refusal(injectorEnv(join(dir, 'nope.yaml'), join(dir, 'nope.pem'), NEXT_KEY));
  t.equal(missing.code, 1);
  t.match(missing.problems, [
    { setting: 'INJECT_TLS_CERT_FILE', message: /cannot read .*ENOENT/ },
    { setting: 'INJECT_CONFIG', message: /cannot read .*ENOENT/ },
  ]);

  const mismatched = await refusal(injectorEnv(config, SERVER_CERT, NEXT_KEY));
  t.equal(mismatched.code, 1);
  t.match(mismatched.problems, [{ setting: 'INJECT_TLS_KEY_FILE', message: /cannot serve TLS together/ }]);

  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'appEnv: nope\nsecret:\n  container: {}\n  volumes: []\nsidecars: {}\n');
  const invalid = await refusal(injectorEnv(bad));
  t.equal(invalid.code, 1);
  t.same(invalid.problems.map((p) => p.setting).sort(), ['appEnv', 'secret.container', 'sidecars']);
});
