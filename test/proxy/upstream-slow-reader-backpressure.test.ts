// Upstream faults: an upstream that reads the request body slowly (here: stops reading after 1 MiB
// until told to go on). The proxy passes the backpressure on to the client instead of buffering: while the
// upstream is not reading, the client can only get as far ahead as the socket buffers in between allow, far
// short of the 256 MiB body, and the proxy's memory stays flat. Once the upstream reads again, every byte
// arrives in order and the answer comes back.
import t from 'tap';
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { pseudoRandomBytes, sleep } from '../helpers/fake-upstream';
import { request } from '../helpers/http';
import { peakRssMb } from '../helpers/proc';
import { startSingleTenant } from '../helpers/stack';

const MIB = 1024 * 1024;
const BODY = 256 * MIB;
const AHEAD_LIMIT = 64 * MIB; // kernel socket buffers on both sides of the proxy, with room to spare
const RSS_LIMIT_MB = 200;

t.setTimeout(180_000);

/** Waits until `value()` has not changed for four looks in a row: the pipeline has filled up and stopped. */
async function settled(value: () => number): Promise<number> {
  let last = -1;
  let same = 0;
  for (let looks = 0; same < 4 && looks < 240; looks++) {
    await sleep(250);
    same = value() === last ? same + 1 : 0;
    last = value();
  }
  return last;
}

t.test(
  'a slow reader of the request body: backpressure reaches the client, memory stays flat',
  { skip: process.platform !== 'linux' && 'needs /proc' },
  async (t) => {
    const s = await startSingleTenant(t, { env: { MAX_BODY_BYTES: String(BODY) }, upstream: { keepBodyBytes: 4096 } });
    let upstreamRead = 0;
    let resume: (() => void) | undefined;
    s.up.server.prependListener('request', (req: IncomingMessage) => {
      req.on('data', (chunk: Buffer) => {
        upstreamRead += chunk.length;
        if (upstreamRead >= MIB && !resume) {
          req.pause();
          resume = () => req.resume();
        }
      });
    });

    const pattern = pseudoRandomBytes(MIB, 7);
    const hash = createHash('sha256');
    let pulled = 0;
    const body = new Readable({
      read() {
        if (pulled >= BODY) return void this.push(null);
        const chunk = Buffer.from(pattern);
        chunk.writeUInt32BE(pulled / MIB, 0);
        pulled += chunk.length;
        hash.update(chunk);
        this.push(chunk);
      },
    });
    const answer = request(`${s.proxy.url}/v1/audio/transcriptions`, {
      method: 'POST',
      headers: { ...s.auth, 'content-type': 'application/octet-stream', 'content-length': BODY },
      body,
      timeoutMs: 120_000,
    }).catch((err: Error) => ({ status: 0, error: err.message }));

    const ahead = await settled(() => pulled);
    t.ok(resume, 'the upstream stopped reading');
    t.ok(ahead < AHEAD_LIMIT, `with the upstream not reading, the client got ${(ahead / MIB).toFixed(0)} MiB of ${BODY / MIB} MiB out`);
    t.ok(peakRssMb(s.proxy.pid) < RSS_LIMIT_MB, `proxy peak RSS ${peakRssMb(s.proxy.pid).toFixed(0)} MB stays under ${RSS_LIMIT_MB} MB`);

    resume!();
    const res = await answer;
    t.equal(res.status, 200, 'answered once the upstream read it all');
    const rec = s.up.lastRequest()!;
    t.equal(rec.bodyLength, BODY, 'every byte arrived');
    t.equal(rec.bodySha256, hash.digest('hex'), 'in order and unchanged');
    t.ok(peakRssMb(s.proxy.pid) < RSS_LIMIT_MB, `and the peak stayed under ${RSS_LIMIT_MB} MB to the end`);
  },
);
