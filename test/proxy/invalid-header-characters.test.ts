// Header abuse: invalid characters in header names and values (NUL, lone CR or LF, DEL, bytes outside
// a token in a name, an empty name, obsolete line folding) get 400 with the connection closed and nothing
// upstream. Bytes HTTP does allow in a value (obs-text, 0x80-0xFF) pass through unchanged.
import t from 'tap';
import { handlers } from '../helpers/fake-upstream';
import { rawExchange } from '../helpers/http';
import { startSingleTenant } from '../helpers/stack';
import { expectRefused } from '../helpers/refusal';

t.test('invalid characters: 400 bad_request, nothing upstream', async (t) => {
  const s = await startSingleTenant(t);
  const start = `GET /v1/models HTTP/1.1\r\nHost: x\r\nX-API-Key: ${s.clientKey}\r\n`;
  const cases: Array<[string, Buffer]> = [
    ['NUL in a value', Buffer.from('X-A: a\0b\r\n', 'latin1')],
    ['lone CR in a value', Buffer.from('X-A: a\rb\r\n', 'latin1')],
    ['lone LF ending a line', Buffer.from('X-A: a\nX-B: b\r\n', 'latin1')],
    ['DEL in a value', Buffer.from('X-A: a\x7fb\r\n', 'latin1')],
    ['other control character in a value', Buffer.from('X-A: a\x01b\r\n', 'latin1')],
    ['space in a name', Buffer.from('X A: b\r\n', 'latin1')],
    ['non-ASCII in a name', Buffer.from('X-\xe9: b\r\n', 'latin1')],
    ['separator in a name', Buffer.from('X(A): b\r\n', 'latin1')],
    ['empty name', Buffer.from(': b\r\n', 'latin1')],
    ['obsolete line folding', Buffer.from('X-A: a\r\n b\r\n', 'latin1')],
  ];
  for (const [name, header] of cases)
    await expectRefused(t, s, name, Buffer.concat([Buffer.from(start), header, Buffer.from('\r\n')]), { status: 400, code: 'bad_request' });
});

t.test('obs-text in a value is allowed by HTTP and forwarded byte for byte', async (t) => {
  const s = await startSingleTenant(t);
  s.up.handle = handlers.echo();
  const value = Buffer.from('caf\xe9 \xff', 'latin1');
  const head = Buffer.from(`GET /v1/models HTTP/1.1\r\nHost: x\r\nX-API-Key: ${s.clientKey}\r\nConnection: close\r\nX-Note: `);
  const answer = await rawExchange(s.proxy.port, Buffer.concat([head, value, Buffer.from('\r\n\r\n')]));
  t.equal(answer.status, 200);
  const raw = s.up.lastRequest()!.rawHeaders;
  t.equal(Buffer.from(raw[raw.findIndex((h) => h.toLowerCase() === 'x-note') + 1] ?? '', 'latin1').toString('hex'), value.toString('hex'));
});
