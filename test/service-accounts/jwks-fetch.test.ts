// Fetching the JWKS: over HTTPS with TLS verified (against caFile alone when given), the bearer token read
// from its file at every fetch (the kubelet rotates it), failures described without the token; or from a file.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fetchJwks } from '../../src/service-accounts/jwks-fetch';
import { CA_PEM } from '../helpers/proxy';
import { jwksOf, signingKey } from '../helpers/service-accounts';
import { startJwksServer } from '../helpers/jwks-server';
import { tempDir } from '../helpers/tmp';

const doc = jwksOf(signingKey('ES256'));

t.test('over HTTPS with the cluster CA and the Pod token, re-read at every fetch', async (t) => {
  const dir = tempDir(t);
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, 'pod-token-one\n');
  const server = await startJwksServer({ t, document: doc, bearer: 'pod-token-one' });
  const source = { kind: 'url' as const, url: server.url, bearerTokenFile: tokenFile, caFile: CA_PEM };
  t.equal(await fetchJwks(source), doc);
  t.same(server.requests, [{ path: '/openid/v1/jwks', authorization: 'Bearer pod-token-one' }], 'trimmed token sent as Bearer');

  writeFileSync(tokenFile, 'pod-token-two');
  server.bearer = 'pod-token-two';
  t.equal(await fetchJwks(source), doc, 'the rotated token file is used at the next fetch');

  server.bearer = 'something-else';
  const err = await fetchJwks(source).catch((e: Error) => e);
  t.match(err, { message: /HTTP 401.*ServiceAccount token/ }, 'a refused token says what to check');
  t.notMatch((err as Error).message, /pod-token/, 'and never holds the token');
});

t.test('without caFile the process trust store applies (here NODE_EXTRA_CA_CERTS); without bearerTokenFile no Authorization', async (t) => {
  const server = await startJwksServer({ t, document: doc });
  t.equal(await fetchJwks({ kind: 'url', url: server.url }), doc);
  t.same(server.requests[0]!.authorization, undefined);
});

t.test('TLS is verified: a server no trusted CA vouches for is refused', async (t) => {
  const rogue = await startJwksServer({ t, document: doc, rogue: true });
  await t.rejects(fetchJwks({ kind: 'url', url: rogue.url }), /self.signed|unable to verify|certificate/i);
  await t.rejects(fetchJwks({ kind: 'url', url: rogue.url, caFile: CA_PEM }), /self.signed|unable to verify|certificate/i, 'with the test CA as caFile too');
});

t.test('failures name their cause: status, unreachable, unreadable files', async (t) => {
  const server = await startJwksServer({ t, document: doc });
  server.status = 503;
  await t.rejects(fetchJwks({ kind: 'url', url: server.url }), /GET https:\/\/localhost:\d+\/openid\/v1\/jwks: HTTP 503/);
  await server.close();
  await t.rejects(fetchJwks({ kind: 'url', url: server.url }), /ECONNREFUSED/);
  await t.rejects(
    fetchJwks({ kind: 'url', url: server.url, bearerTokenFile: '/nonexistent/token' }),
    /cannot read jwks.bearerTokenFile \/nonexistent\/token: ENOENT/,
  );
  await t.rejects(fetchJwks({ kind: 'url', url: server.url, caFile: '/nonexistent/ca.crt' }), /cannot read jwks.caFile \/nonexistent\/ca.crt: ENOENT/);
});

t.test('a server that never answers is given up on', async (t) => {
  const slow = createServer(() => {}); // accepts the connection, never speaks TLS
  await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
  t.teardown(() => slow.close());
  const port = (slow.address() as { port: number }).port;
  await t.rejects(fetchJwks({ kind: 'url', url: `https://localhost:${port}/openid/v1/jwks` }, 200), /no answer within 200 ms/);
});

t.test('from a file, read at every fetch', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'jwks.json');
  writeFileSync(path, doc);
  t.equal(await fetchJwks({ kind: 'file', path }), doc);
  const other = jwksOf(signingKey('RS256'));
  writeFileSync(path, other);
  t.equal(await fetchJwks({ kind: 'file', path }), other);
  await t.rejects(fetchJwks({ kind: 'file', path: join(dir, 'missing.json') }), /cannot read jwks.file .*missing.json: ENOENT/);
});
