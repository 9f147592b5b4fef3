// Contract 2: key files have trailing whitespace trimmed, and a client key file may hold several keys, one
// per line. Files edited on Windows (CRLF), with blank lines or stray spaces still give exactly those keys.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeUpstream } from '../helpers/fake-upstream';
import { request } from '../helpers/http';
import { assertNoKeyLeak, randomKey, startProxy } from '../helpers/proxy';
import { tempDir } from '../helpers/tmp';

t.test('CRLF, blank lines and trailing spaces in key files', async (t) => {
  const up = await startFakeUpstream({ t });
  const dir = tempDir(t);
  const upstreamKey = randomKey('sk-test-upstream');
  const [a, b, c] = [randomKey('pk-a'), randomKey('pk-b'), randomKey('pk-c')];
  writeFileSync(join(dir, 'upstream'), `${upstreamKey}\r\n`);
  writeFileSync(join(dir, 'clients'), `${a}\r\n\r\n${b}  \r\n${c}\n\n`);
  const proxy = await startProxy(t, { upstream: up, env: { OPENAI_API_KEY_FILE: join(dir, 'upstream'), PROXY_X_API_KEY_FILE: join(dir, 'clients') } });
  for (const [name, key] of [
    ['first (CRLF)', a],
    ['second (spaces, CRLF)', b],
    ['last (LF)', c],
  ]) {
    const res = await request(`${proxy.url}/v1/models`, { headers: { 'x-api-key': key } });
    t.equal(res.status, 200, `${name} key works`);
  }
  t.ok(up.lastRequest()?.headers.authorization === `Bearer ${upstreamKey}`, 'the upstream key has no trailing CR');
  const empty = await request(`${proxy.url}/v1/models`, { headers: { 'x-api-key': '' } });
  t.equal(empty.status, 401, 'a blank line is not an empty key that matches');
  await assertNoKeyLeak(t, proxy, [upstreamKey, a, b, c]);
});
