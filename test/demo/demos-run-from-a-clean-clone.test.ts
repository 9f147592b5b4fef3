// The three demos run from a clean clone: the files git would hand a newcomer (tracked, plus new ones not yet
// committed, never ignored ones: no dist/, no .tools/, no .env), with the dependencies `npm ci` installs. The
// other demo tests run in the working tree, where an earlier build, a compiled demo or a stray file could hide
// something a clone lacks. node_modules is the repository's own, hard-linked in rather than downloaded again,
// with npm's stamp newer than the copied package files, so make takes it as installed.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/proxy';
import { bannerLines, cleanEnv, runShell, startMakeTarget } from './make-target';

const HELLO = 'Hello from the fake upstream.';

/** A copy of what a clone holds, under the repository's own (git-ignored) .tools/, on the same file system as node_modules. */
function cleanClone(t: { teardown(fn: () => unknown): void }): string {
  mkdirSync(join(REPO_ROOT, '.tools'), { recursive: true });
  const dir = mkdtempSync(join(REPO_ROOT, '.tools', 'clean-clone-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  execFileSync('bash', ['-c', `git ls-files -z --cached --others --exclude-standard | tar --null --ignore-failed-read -T - -cf - | tar -xf - -C "${dir}"`], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  execFileSync('cp', ['-al', join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules')]);
  // A real copy, so that dating it does not touch the repository's own stamp through the link.
  const stamp = join(dir, 'node_modules', '.package-lock.json');
  rmSync(stamp);
  copyFileSync(join(REPO_ROOT, 'node_modules', '.package-lock.json'), stamp);
  const later = new Date(Date.now() + 60_000);
  utimesSync(stamp, later, later);
  return dir;
}

t.test('make run, make demo-keyless and make demo-serviceaccount in a clean clone', { timeout: 600_000 }, async (t) => {
  const clone = cleanClone(t);
  for (const ignored of ['dist', '.tools', '.env']) t.notOk(existsSync(join(clone, ignored)), `the clone has no ${ignored}`);
  const env = cleanEnv({ PORT: '0', ADMIN_PORT: '0' });

  const demo = startMakeTarget(t, 'run', env, clone);
  const banner = await demo.banner(300_000);
  t.match(banner, /running as a DEMO, in front of a fake OpenAI upstream/, 'make run: the demo');
  t.notMatch(demo.output, /npm ci/, 'the dependencies were taken as installed');
  const [chat] = bannerLines(banner, 'curl ');
  t.equal(JSON.parse((await runShell(chat!, 30_000, clone)).stdout).choices[0].message.content, HELLO, 'its curl, as printed');
  await demo.interrupt();
  t.ok(existsSync(join(clone, 'dist', 'main.js')), 'make run built dist/ in the clone');

  const keyless = startMakeTarget(t, 'demo-keyless', env, clone);
  const keylessBanner = await keyless.banner(120_000);
  await keyless.waitFor(/\/readyz: 200/);
  const [keylessCurl] = bannerLines(keylessBanner, 'curl http');
  t.equal(JSON.parse((await runShell(keylessCurl!, 30_000, clone)).stdout).choices[0].message.content, HELLO, 'make demo-keyless: its curl');
  await keyless.interrupt();
  t.match(keyless.output, /openai-proxy demo: stopped/, 'and stops on Ctrl-C');

  const accounts = startMakeTarget(t, 'demo-serviceaccount', env, clone);
  const accountsBanner = await accounts.banner(120_000);
  await accounts.waitFor(/\/readyz: 200/);
  const [allowed, unlisted] = bannerLines(accountsBanner, 'curl http');
  t.equal(JSON.parse((await runShell(allowed!, 30_000, clone)).stdout).choices[0].message.content, HELLO, 'make demo-serviceaccount: a listed caller');
  t.equal((await runShell(unlisted!, 30_000, clone)).stdout, '{"error":"unauthorized"}', 'and an unlisted one refused');
  await accounts.interrupt();
  t.match(accounts.output, /openai-proxy demo: stopped/, 'and stops on Ctrl-C');
});
