// The kubelet rotates the projected token (a `..data` swap) well before it expires: every exchange reads the
// file again, so a rotated token is what the next exchange sends; a file that turns empty or unreadable is a
// failed refresh (the current credential stays), not a crash.
import t from 'tap';
import { rmSync, writeFileSync, unlinkSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { request } from '../helpers/http';
import { startKeyless } from '../helpers/keyless';

t.test('each exchange reads the rotated token file', async (t) => {
  const k = await startKeyless(t, { answers: [{ token: { expiresIn: 15 } }, { token: { expiresIn: 15 } }] });
  t.equal(k.tokens.exchanges[0]!.subjectToken, k.subject, 'the first exchange sent the first token');
  const rotated = k.rotateToken();
  await k.tokens.waitForExchanges(2, 20_000);
  t.equal(k.tokens.exchanges[1]!.subjectToken, rotated, 'the next exchange sent the rotated token');

  // The file disappears: the next refresh fails, the current credential (15 s) still serves requests.
  unlinkSync(k.tokenFile);
  const failed = await k.proxy.waitForLog((l) => l.event === 'credential_refresh' && l.result === 'failure', 20_000);
  t.match(failed, { level: 'warn', reason: 'token_file', trigger: 'schedule' });
  t.match(failed.message, /cannot be read: ENOENT/);
  t.not(failed.validUntil, null, 'still valid: a warning, not an error');
  t.equal((await request(`${k.proxy.url}/v1/models`, { headers: k.auth })).status, 200, 'the current credential still serves');

  // Back, but empty: also a failed refresh.
  writeFileSync(join(k.tokenDir, 'empty'), '\n');
  symlinkSync('empty', k.tokenFile);
  await k.proxy.waitForLog((l) => l.event === 'credential_refresh' && l.result === 'failure' && /is empty/.test(l.message));
  rmSync(k.tokenFile);
  const back = k.rotateToken(); // writes the link again, the kubelet's way
  const recovered = await k.proxy.waitForLog((l) => l.event === 'credential_refresh' && l.result === 'success' && l.trigger === 'retry', 15_000);
  t.ok(recovered, 'recovered on a retry');
  t.equal(k.tokens.exchanges.at(-1)!.subjectToken, back, 'with the token now in the file');
});
