// SSE chunks reach the client as the upstream sends them, not all at the end; event streams
// carry X-Accel-Buffering: no. The fake sends one event every 150 ms; arrival order is compared with the
// fake's send events on one timeline (both run in this process), so no wall-clock threshold is asserted.
import t from 'tap';
import { request as httpRequest } from 'node:http';
import { handlers } from '../helpers/fake-upstream';
import { noKeyLeak, startSingleTenant } from '../helpers/stack';

const COUNT = 10;
const INTERVAL_MS = 150;

t.test('SSE events arrive while the upstream is still sending', async (t) => {
  const s = await startSingleTenant(t);
  const timeline: string[] = [];
  s.up.handle = handlers.slowSse(COUNT, INTERVAL_MS, (i) => timeline.push(`sent ${i}`));

  const { headers, body } = await new Promise<{ headers: Record<string, any>; body: string }>((resolve, reject) => {
    const req = httpRequest(
      `${s.proxy.url}/v1/chat/completions`,
      { method: 'POST', headers: { ...s.auth, 'content-type': 'application/json' }, agent: false },
      (res) => {
        let text = '';
        let seen = 0;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
          const events = text.split('\n\n').length - 1;
          for (; seen < events; seen++) timeline.push(`received ${seen}`);
        });
        res.on('end', () => resolve({ headers: res.headers, body: text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end('{"model":"gpt-4.1-mini","stream":true,"messages":[]}');
  });

  const expected = `${Array.from({ length: COUNT }, (_, i) => `data: {"i":${i}}\n\n`).join('')}data: [DONE]\n\n`;
  t.equal(body, expected, 'the stream arrived byte-for-byte');
  t.equal(headers['x-accel-buffering'], 'no', 'X-Accel-Buffering: no');
  t.match(String(headers['content-type']), /^text\/event-stream/);
  t.equal(headers['content-length'], undefined, 'no Content-Length on a stream');

  const at = (entry: string) => timeline.indexOf(entry);
  t.ok(at('received 0') !== -1 && at('received 0') < at(`sent ${COUNT - 1}`), 'the first event arrived before the last was sent');
  // Each event must arrive before the upstream sends the one two steps later (one step of slack for scheduling).
  const late = Array.from({ length: COUNT - 2 }, (_, i) => i).filter((i) => at(`received ${i}`) > at(`sent ${i + 2}`));
  t.same(late, [], 'every event arrived before the upstream sent the event two after it');
  await noKeyLeak(t, s);
});
