// A stream cut short reports no usage: what it streamed is counted as an estimate, whether the upstream reset
// the connection or the client went away.
import { request as httpRequest } from 'node:http';
import t from 'tap';
import { handlers, sleep, writeSse } from '../helpers/fake-upstream';
import { request } from '../helpers/http';
import { startSingleTenant } from '../helpers/stack';

const BODY = '{"model":"gpt-4.1-mini","stream":true,"messages":[{"role":"user","content":"hi"}]}';
const delta = (content: string) => `data: {"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"${content}"}}]}\n\n`;

t.test('an upstream reset mid-stream: the deltas so far are the output estimate', async (t) => {
  const s = await startSingleTenant(t);
  s.up.handle = async (req, res) => {
    await writeSse(res, [delta('a'), delta('b'), delta('c')], { stopAfter: 3 });
    await sleep(20);
    req.socket.destroy();
  };
  await request(`${s.proxy.url}/v1/chat/completions`, { method: 'POST', headers: { ...s.auth, 'content-type': 'application/json' }, body: BODY }).catch(
    () => undefined,
  );
  const line = await s.proxy.waitForLog((l) => l.event === 'request');
  t.equal(line.error, 'upstream_reset');
  t.same(line.usage, { input: Math.ceil(BODY.length / 4), output: 3, cachedInput: 0, reasoning: 0, estimated: true });
});

t.test('a client gone mid-stream: counted as an estimate too', async (t) => {
  const s = await startSingleTenant(t);
  s.up.handle = handlers.slowSse(50, 100);
  await new Promise<void>((resolve) => {
    const req = httpRequest(`${s.proxy.url}/v1/chat/completions`, { method: 'POST', headers: { ...s.auth, 'content-type': 'application/json' } }, (res) => {
      let seen = 0;
      res.on('data', () => {
        if (++seen === 2) {
          req.destroy();
          resolve();
        }
      });
    });
    req.end(BODY);
  });
  const line = await s.proxy.waitForLog((l) => l.event === 'request');
  t.equal(line.aborted, true);
  t.equal(line.usage.estimated, true);
  t.equal(line.usage.input, Math.ceil(BODY.length / 4));
});
