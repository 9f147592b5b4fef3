// A 1 GiB upload passes through with flat memory: the proxy streams it with backpressure
// instead of buffering it. The body is generated on the fly here and hashed by the fake upstream, which
// discards it; the proxy child's peak RSS (VmHWM) must stay far below the body size.
import t from 'tap';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pseudoRandomBytes } from '../helpers/fake-upstream';
import { request } from '../helpers/http';
import { peakRssMb } from '../helpers/proc';
import { noKeyLeak, startSingleTenant } from '../helpers/stack';

const GIB = 1024 * 1024 * 1024;
const CHUNK = 1024 * 1024;
const LIMIT_MB = 300;

t.setTimeout(300_000);

/** 1 GiB of a 1 MiB pattern, each chunk stamped with its index so reordering or loss changes the hash. */
function generated(total: number, hash: ReturnType<typeof createHash>): Readable {
  const pattern = pseudoRandomBytes(CHUNK, 42);
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= total) return void this.push(null);
      const chunk = Buffer.from(pattern);
      chunk.writeUInt32BE(sent / CHUNK, 0);
      sent += chunk.length;
      hash.update(chunk);
      this.push(chunk);
    },
  });
}

t.test('1 GiB upload, flat memory', { skip: process.platform !== 'linux' && 'needs /proc' }, async (t) => {
  const s = await startSingleTenant(t, { env: { MAX_BODY_BYTES: String(2 * GIB) }, upstream: { keepBodyBytes: 4096 } });
  const hash = createHash('sha256');
  const res = await request(`${s.proxy.url}/v1/audio/transcriptions`, {
    method: 'POST',
    headers: { ...s.auth, 'content-type': 'application/octet-stream', 'content-length': GIB },
    body: generated(GIB, hash),
  });
  t.equal(res.status, 200, 'upload answered');
  const rec = s.up.lastRequest()!;
  t.equal(rec.bodyLength, GIB, 'all bytes arrived');
  t.equal(rec.bodySha256, hash.digest('hex'), 'in order and unchanged');
  const peak = peakRssMb(s.proxy.pid);
  t.ok(peak < LIMIT_MB, `proxy peak RSS ${peak.toFixed(0)} MB stays under ${LIMIT_MB} MB`);
  await noKeyLeak(t, s);
});
