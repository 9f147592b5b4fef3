// Was a bug: the access log kept the request path as the client sent it, so a client that pasted a key
// into its URL (a proxy key as a path segment, or the upstream key) had that key written to the log: in full
// for a refused request, and in part when a long path was cut at 256 characters. Now a path segment that is a
// client key, and any upstream key, are logged as their fingerprint, before any cut.
import t from 'tap';
import { request } from '../helpers/http';
import { fingerprint } from '../helpers/keys';
import { startSingleTenant } from '../helpers/stack';

const requestLines = (logs: Array<Record<string, any>>) => logs.filter((l) => l.event === 'request');

t.test('keys in the path are logged as fingerprints', async (t) => {
  const s = await startSingleTenant(t);
  const [client, upstream] = [`<key ${fingerprint(s.clientKey)}>`, `<key ${fingerprint(s.upstreamKey)}>`];
  const cases: Array<[string, string, number, string]> = [
    ['a client key as a segment of a refused path', `/v1/${s.clientKey}/files?x=1`, 404, `/v1/${client}/files`],
    ['the upstream key inside a refused path', `/v1/files/key-${s.upstreamKey}`, 404, `/v1/files/key-${upstream}`],
    ['a client key where a long path is cut', `/${'a'.repeat(230)}/${s.clientKey}/b`, 404, `/${'a'.repeat(230)}/${client}/b`.slice(0, 256)],
    ['a client key in a path that is forwarded', `/v1/models/${s.clientKey}`, 200, `/v1/models/${client}`],
  ];
  for (const [name, path, status] of cases) t.equal((await request(`${s.proxy.url}${path}`, { headers: s.auth })).status, status, `${name}: ${status}`);
  await s.proxy.waitForLog(() => requestLines(s.proxy.logs).length === cases.length);
  t.same(
    requestLines(s.proxy.logs).map((l) => l.path),
    cases.map(([, , , logged]) => logged),
    'each path logged with the key replaced',
  );
  t.notOk(s.proxy.stdout.includes(s.clientKey.slice(0, 24)), 'not even the part of a key a cut would have left');
  s.up.requests.length = 0; // the forwarded path held the client key because this test put it there
});
