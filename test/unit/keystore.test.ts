import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authenticate } from '../../src/keys/auth';
import { loadConfig } from '../../src/config/config';
import { KeyStore, type ReloadResult } from '../../src/keys/keystore';
import { createLogger } from '../../src/observability/log';

t.test('a rotated key file swaps the table; an unreadable or empty one keeps the last good keys', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'keystore-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const clientFile = join(dir, 'client');
  writeFileSync(clientFile, 'key-one\n');
  const env = { OPENAI_API_KEY: 'sk-up', PROXY_X_API_KEY_FILE: clientFile };
  const { store, problems } = KeyStore.load(loadConfig(env).config!, env);
  t.same(problems, []);
  const lines: string[] = [];
  const log = createLogger('debug', (l) => lines.push(l));
  const results: ReloadResult[] = [];
  const onReload = (r: ReloadResult) => results.push(r);
  const works = (key: string) => authenticate(store!.table, { 'x-api-key': key }) !== undefined;

  await store!.poll(log, onReload);
  t.same(results, [], 'nothing changed, nothing reloaded');

  writeFileSync(clientFile, 'key-one\nkey-two\n');
  await store!.poll(log, onReload);
  t.ok(works('key-one') && works('key-two'), 'both keys work during the overlap');

  writeFileSync(clientFile, 'key-two\n');
  await store!.poll(log, onReload);
  t.ok(!works('key-one') && works('key-two'), 'the old key is gone');

  rmSync(clientFile);
  await store!.poll(log, onReload);
  await store!.poll(log, onReload);
  t.ok(works('key-two'), 'an unreadable file keeps the last good keys');

  writeFileSync(clientFile, '\n');
  await store!.poll(log, onReload);
  t.ok(works('key-two'), 'an empty file keeps the last good keys');

  t.same(results, ['success', 'success', 'failure', 'failure'], 'each change counted once');
  t.notOk(lines.join('').includes('key-two'), 'no key in the reload logs');
});

t.test('unreadable secret files are start-up problems named by setting', async (t) => {
  const env = { OPENAI_API_KEY_FILE: '/nonexistent/openai', PROXY_X_API_KEY_FILE: '/nonexistent/client' };
  const { store, problems } = KeyStore.load(loadConfig(env).config!, env);
  t.equal(store, undefined);
  t.same(problems.map((p) => p.setting).sort(), ['OPENAI_API_KEY_FILE', 'PROXY_X_API_KEY_FILE']);
});
