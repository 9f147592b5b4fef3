// Backpressure the other way: a 1 GiB response to a client that stops reading for a while
// must not pile up in the proxy; the upstream is slowed down instead. Peak RSS (VmHWM) stays far below 1 GiB.
import t from 'tap';
import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { pseudoRandomBytes, sleep } from '../helpers/fake-upstream';
import { peakRssMb } from '../helpers/proc';
import { noKeyLeak, startSingleTenant } from '../helpers/stack';

const GIB = 1024 * 1024 * 1024;
const CHUNK = 1024 * 1024;
const LIMIT_MB = 300;

t.setTimeout(300_000);

t.test('1 GiB download to a slow reader, flat memory', { skip: process.platform !== 'linux' && 'needs /proc' }, async (t) => {
  const s = await startSingleTenant(t);
  const pattern = pseudoRandomBytes(CHUNK, 43);
  const sentHash = createHash('sha256');
  let sentBytes = 0;
  s.up.handle = async (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': GIB });
    for (let i = 0; i < GIB / CHUNK && !res.destroyed; i++) {
      const chunk = Buffer.from(pattern);
      chunk.writeUInt32BE(i, 0);
      sentHash.update(chunk);
      sentBytes += chunk.length;
      if (!res.write(chunk)) await new Promise((r) => res.once('drain', r));
    }
    res.end();
  };

  const received = await new Promise<{ bytes: number; hash: string; sentWhilePaused: number }>((resolve, reject) => {
    const req = httpRequest(
      `${s.proxy.url}/v1/audio/speech`,
      { method: 'POST', headers: { ...s.auth, 'content-type': 'application/json' }, agent: false },
      async (res) => {
        const hash = createHash('sha256');
        let bytes = 0;
        res.pause();
        await sleep(2000); // the client stops reading; a proxy without backpressure would now swallow the GiB
        const sentWhilePaused = sentBytes;
        res.on('data', (c: Buffer) => {
          hash.update(c);
          bytes += c.length;
        });
        res.on('end', () => resolve({ bytes, hash: hash.digest('hex'), sentWhilePaused }));
        res.on('error', reject);
        res.resume();
      },
    );
    req.on('error', reject);
    req.end('{"model":"tts-1","voice":"alloy","input":"long"}');
  });
  t.equal(received.bytes, GIB, 'all bytes arrived');
  t.equal(received.hash, sentHash.digest('hex'), 'unchanged');
  t.ok(
    received.sentWhilePaused < GIB / 2,
    `the upstream was held back while the client did not read (${(received.sentWhilePaused / CHUNK).toFixed(0)} MiB sent)`,
  );
  const peak = peakRssMb(s.proxy.pid);
  t.ok(peak < LIMIT_MB, `proxy peak RSS ${peak.toFixed(0)} MB stays under ${LIMIT_MB} MB`);
  await noKeyLeak(t, s);
});
