// RFC 9112 §9.6: the proxy's own refusals of a large upload (a wrong key, a path outside the allowlist, a body
// over MAX_BODY_BYTES by its Content-Length or counted as it streams, headers over the limit) reach the client
// every time. They are
// answered before the body has arrived; the connection then closes the lingering way, the rest of the body read
// and discarded, so no reset destroys the answer before the client has read it. Nothing goes upstream.
import t from 'tap';
import type { OutgoingHttpHeaders } from 'node:http';
import { startSingleTenant } from '../helpers/stack';
import { uploadAndRead } from '../helpers/large-upload';

const UPLOAD = 24 * 1024 * 1024;
const ROUNDS = 8;

t.test('refusals of a large upload reach the client, every time', async (t) => {
  const s = await startSingleTenant(t, { env: { MAX_BODY_BYTES: String(4 * 1024 * 1024) } });
  const sized = { 'content-length': UPLOAD, 'content-type': 'application/octet-stream' };
  const chunked = { 'transfer-encoding': 'chunked', 'content-type': 'application/octet-stream' };
  const cases: Array<[string, string, OutgoingHttpHeaders, RegExp]> = [
    ['wrong key', '/v1/audio/transcriptions', { ...sized, 'x-api-key': 'not-a-key' }, /^401 \{"error":"unauthorized"\}$/],
    ['path outside the allowlist', '/v1/files', { ...sized, ...s.auth }, /^404 .*"code":"endpoint_not_allowed"/],
    ['Content-Length over the limit', '/v1/audio/transcriptions', { ...sized, ...s.auth }, /^413 .*"code":"body_too_large"/],
    ['chunked body counted over the limit', '/v1/audio/transcriptions', { ...chunked, ...s.auth }, /^413 .*"code":"body_too_large"/],
    // Refused by Node's parser before the handler runs; answered from the clientError hook.
    ['headers over 16 KiB', '/v1/audio/transcriptions', { ...sized, ...s.auth, 'x-padding': 'a'.repeat(20_000) }, /^431 .*"code":"headers_too_large"/],
  ];
  for (const [name, path, headers, wanted] of cases) {
    const outcomes: string[] = [];
    for (let round = 0; round < ROUNDS; round++) outcomes.push(await uploadAndRead(s.proxy.port, path, headers, UPLOAD));
    t.same(
      outcomes.filter((outcome) => !wanted.test(outcome)),
      [],
      `${name}: ${ROUNDS} uploads, each answered`,
    );
  }
  t.notOk(
    s.up.requests.some((r) => r.bodyComplete),
    'no upstream request ever saw a complete body',
  );
  t.equal(s.up.requests.filter((r) => r.url !== '/v1/audio/transcriptions').length, 0, 'nothing but the counted upload went upstream');
});
