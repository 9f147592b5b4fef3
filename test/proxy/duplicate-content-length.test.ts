// Header abuse: a Content-Length that can be read two ways (two headers, a list, a sign, stray
// whitespace) is refused with 400 and the connection closed, so the proxy and the upstream can never disagree
// on where the body ends; nothing goes upstream.
import t from 'tap';
import { startSingleTenant } from '../helpers/stack';
import { expectRefused } from '../helpers/refusal';

t.test('ambiguous Content-Length: 400 bad_request, nothing upstream', async (t) => {
  const s = await startSingleTenant(t);
  const start = `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nX-API-Key: ${s.clientKey}\r\n`;
  const cases: Array<[string, string]> = [
    ['two different values', 'Content-Length: 2\r\nContent-Length: 20\r\n'],
    ['the same value twice', 'Content-Length: 2\r\nContent-Length: 2\r\n'],
    ['a list', 'Content-Length: 2, 2\r\n'],
    ['a plus sign', 'Content-Length: +2\r\n'],
    ['negative', 'Content-Length: -2\r\n'],
    ['hexadecimal', 'Content-Length: 0x2\r\n'],
    ['space before the colon', 'Content-Length : 2\r\n'],
    ['on a continuation line', 'X-Pad: a\r\n Content-Length: 2\r\n'],
  ];
  for (const [name, header] of cases)
    await expectRefused(t, s, name, `${start}${header}\r\n{}GET /v1/models HTTP/1.1\r\n\r\n`, { status: 400, code: 'bad_request' });
});
