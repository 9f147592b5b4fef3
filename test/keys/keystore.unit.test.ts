import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keyCaller } from '../helpers/callers';
import { loadConfig } from '../../src/config/config';
import { KeyStore, type ReloadResult } from '../../src/keys/keystore';
import { createLogger } from '../../src/observability/log';

t.test('a rotated key file swaps the table; an unreadable or empty one keeps the last good keys', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'keystore-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const clientFile = join(dir, 'client');
  writeFileSync(clientFile, 'client-key-number-one\n');
  const env = { OPENAI_API_KEY: 'sk-up', PROXY_X_API_KEY_FILE: clientFile };
  const { store, problems } = KeyStore.load(loadConfig(env).config!, env);
  t.same(problems, []);
  const lines: string[] = [];
  const log = createLogger('debug', (l) => lines.push(l));
  const results: ReloadResult[] = [];
  const onReload = (r: ReloadResult) => results.push(r);
  const works = (key: string) => keyCaller(store!.table, { 'x-api-key': key }) !== undefined;

  await store!.poll(log, onReload);
  t.same(results, [], 'nothing changed, nothing reloaded');

  writeFileSync(clientFile, 'client-key-number-one\nclient-key-number-two\n');
  await store!.poll(log, onReload);
  t.ok(works('client-key-number-one') && works('client-key-number-two'), 'both keys work during the overlap');

  writeFileSync(clientFile, 'client-key-number-two\n');
  await store!.poll(log, onReload);
  t.ok(!works('client-key-number-one') && works('client-key-number-two'), 'the old key is gone');

  rmSync(clientFile);
  await store!.poll(log, onReload);
  await store!.poll(log, onReload);
  t.ok(works('client-key-number-two'), 'an unreadable file keeps the last good keys');

  writeFileSync(clientFile, '\n');
  await store!.poll(log, onReload);
  t.ok(works('client-key-number-two'), 'an empty file keeps the last good keys');

  t.same(results, ['success', 'success', 'failure', 'failure'], 'each change counted once');
  t.notOk(lines.join('').includes('client-key-number-two'), 'no key in the reload logs');
});

t.test('unreadable secret files are start-up problems named by setting', async (t) => {
  const env = { OPENAI_API_KEY_FILE: '/nonexistent/openai', PROXY_X_API_KEY_FILE: '/nonexistent/client' };
  const { store, problems } = KeyStore.load(loadConfig(env).config!, env);
  t.equal(store, undefined);
  t.same(problems.map((p) => p.setting).sort(), ['OPENAI_API_KEY_FILE', 'PROXY_X_API_KEY_FILE']);
});
