// Header abuse: request smuggling. A request with both Content-Length and Transfer-Encoding, or a
// Transfer-Encoding the proxy might read differently from the server behind it, is refused with 400 and the
// connection closed, so the bytes after it (a second, smuggled request) are never read as a request. A valid
// chunked body is re-framed by the proxy: the upstream sees exactly one request, with exactly that body.
import t from 'tap';
import { handlers } from '../helpers/fake-upstream';
import { rawExchange } from '../helpers/http';
import { startSingleTenant } from '../helpers/stack';
import { expectRefused } from '../helpers/refusal';

const smuggled = (key: string) => `GET /v1/models/smuggled HTTP/1.1\r\nHost: x\r\nX-API-Key: ${key}\r\n\r\n`;

t.test('ambiguous framing: 400, connection closed, the smuggled request never runs', async (t) => {
  const s = await startSingleTenant(t);
  const start = `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nX-API-Key: ${s.clientKey}\r\n`;
  const cases: Array<[string, string]> = [
    ['CL.TE', `${start}Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG`],
    ['TE.CL', `${start}Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n5c\r\n${smuggled(s.clientKey)}\r\n0\r\n\r\n`],
    ['TE obfuscated (xchunked)', `${start}Transfer-Encoding: xchunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n`],
    ['TE not ending in chunked', `${start}Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n`],
    ['two TE headers', `${start}Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n`],
    ['TE with a space before the colon', `${start}Transfer-Encoding : chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n`],
    ['TE on a continuation line', `${start}Content-Length: 5\r\nX-Pad: a\r\n Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n`],
    ['bad chunk size', `${start}Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n`],
    ['chunk size with junk after it', `${start}Transfer-Encoding: chunked\r\n\r\n3x\r\nabc\r\n0\r\n\r\n`],
  ];
  for (const [name, bytes] of cases) await expectRefused(t, s, name, bytes + smuggled(s.clientKey), { status: 400, code: 'bad_request' });
  t.notOk(
    s.up.requests.some((r) => r.url.includes('smuggled')),
    'no smuggled request reached the upstream',
  );
});

t.test('a valid chunked body that contains a request is one request upstream, body intact', async (t) => {
  const s = await startSingleTenant(t);
  s.up.handle = handlers.echo();
  const inner = `{"x":"\r\n\r\n${smuggled(s.clientKey).replace(s.clientKey, 'not-a-key')}"}`;
  const chunked = `${inner.length.toString(16)}\r\n${inner}\r\n0\r\n\r\n`;
  const answer = await rawExchange(
    s.proxy.port,
    `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nX-API-Key: ${s.clientKey}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${chunked}`,
  );
  t.equal(answer.status, 200);
  t.equal(s.up.requests.length, 1, 'exactly one request upstream');
  const rec = s.up.lastRequest()!;
  t.equal(rec.url, '/v1/chat/completions');
  t.equal(rec.body.toString('latin1'), inner, 'the body arrived exactly as the chunks carried it');
  t.equal(rec.headers['content-length'], undefined, 'no Content-Length invented next to the chunked framing');
});
