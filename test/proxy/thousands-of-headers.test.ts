// Header abuse: a request with thousands of header lines. Node would silently drop every header past
// 2000; the proxy counts them all and refuses more than 1000 lines with 431 (and more than 16 KiB of headers
// with 431 too), nothing upstream. 1000 lines is still a request, forwarded with every header intact.
import t from 'tap';
import { handlers } from '../helpers/fake-upstream';
import { rawExchange } from '../helpers/http';
import { startSingleTenant } from '../helpers/stack';
import { expectRefused } from '../helpers/refusal';

const lines = (count: number) => Array.from({ length: count }, (_, i) => `h${i}:${i % 10}\r\n`).join('');

t.test('more than 1000 header lines, or over 16 KiB of them: 431, nothing upstream', async (t) => {
  const s = await startSingleTenant(t);
  const start = `GET /v1/models HTTP/1.1\r\nHost: x\r\nX-API-Key: ${s.clientKey}\r\n`;
  for (const [name, count] of [
    ['1001 lines', 999],
    ['2500 lines (Node alone would keep 2000)', 2498],
    ['5000 lines (over 16 KiB)', 4998],
  ] as const) {
    await expectRefused(t, s, name, `${start}${lines(count)}\r\n`, { status: 431, code: 'headers_too_large' });
  }
});

t.test('exactly 1000 header lines: forwarded, every header intact', async (t) => {
  const s = await startSingleTenant(t);
  s.up.handle = handlers.echo();
  const answer = await rawExchange(s.proxy.port, `GET /v1/models HTTP/1.1\r\nHost: x\r\nX-API-Key: ${s.clientKey}\r\nConnection: close\r\n${lines(997)}\r\n`);
  t.equal(answer.status, 200);
  const names = new Set(s.up.lastRequest()!.rawHeaders.filter((_, i) => i % 2 === 0));
  t.ok(
    Array.from({ length: 997 }, (_, i) => `h${i}`).every((n) => names.has(n)),
    'all 997 client headers arrived upstream',
  );
});
