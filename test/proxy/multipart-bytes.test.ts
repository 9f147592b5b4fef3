// Multipart uploads (image edits, audio transcriptions/translations) arrive upstream
// byte-for-byte with their boundary, whether sent with Content-Length or chunked.
import t from 'tap';
import { Readable } from 'node:stream';
import { pseudoRandomBytes, sha256 } from '../helpers/fake-upstream';
import { request } from '../helpers/http';
import { noKeyLeak, startSingleTenant } from '../helpers/stack';

// A boundary with characters that need care, and a file that contains CRLFs, NULs and boundary look-alikes.
const BOUNDARY = "----proxy'test_Boundary+=.()/:?7Xq";

function multipart(fileBytes: Buffer, fields: Record<string, string>, fileField: string, fileName: string, fileType: string): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  }
  parts.push(Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${fileField}"; filename="${fileName}"\r\nContent-Type: ${fileType}\r\n\r\n`));
  parts.push(fileBytes, Buffer.from(`\r\n--${BOUNDARY}--\r\n`));
  return Buffer.concat(parts);
}

function trickyFile(size: number, seed: number): Buffer {
  return Buffer.concat([pseudoRandomBytes(size, seed), Buffer.from(`\r\n--${BOUNDARY}\r\n\0\0\r\n\r\n--${BOUNDARY}--`), pseudoRandomBytes(1000, seed + 1)]);
}

const CASES: Array<{ path: string; fields: Record<string, string>; field: string; name: string; type: string }> = [
  { path: '/v1/images/edits', fields: { model: 'gpt-image-1', prompt: 'make it blue' }, field: 'image', name: 'in.png', type: 'image/png' },
  { path: '/v1/audio/transcriptions', fields: { model: 'whisper-1', language: 'en' }, field: 'file', name: 'in.mp3', type: 'audio/mpeg' },
  { path: '/v1/audio/translations', fields: { model: 'whisper-1' }, field: 'file', name: 'in.wav', type: 'audio/wav' },
];

t.test('multipart bodies arrive byte-for-byte', async (t) => {
  const s = await startSingleTenant(t);
  const contentType = `multipart/form-data; boundary="${BOUNDARY}"`;
  let seed = 11;
  for (const c of CASES) {
    for (const framing of ['content-length', 'chunked'] as const) {
      const body = multipart(trickyFile(700_000, seed++), c.fields, c.field, c.name, c.type);
      const headers: Record<string, string | number> = { ...s.auth, 'content-type': contentType };
      if (framing === 'content-length') headers['content-length'] = body.length;
      // Chunked: sent as a stream of odd-sized pieces.
      const payload = framing === 'chunked' ? Readable.from(slices(body, 65_521)) : body;
      const res = await request(`${s.proxy.url}${c.path}`, { method: 'POST', headers, body: payload });
      t.equal(res.status, 200, `${c.path} (${framing}): 200`);
      const rec = s.up.lastRequest()!;
      t.equal(rec.url, c.path);
      t.equal(rec.headers['content-type'], contentType, `${c.path} (${framing}): Content-Type with its boundary unchanged`);
      t.equal(rec.bodyLength, body.length, `${c.path} (${framing}): same length`);
      t.equal(rec.bodySha256, sha256(body), `${c.path} (${framing}): same bytes`);
    }
  }
  await noKeyLeak(t, s);
});

function* slices(buf: Buffer, size: number): Generator<Buffer> {
  for (let at = 0; at < buf.length; at += size) yield buf.subarray(at, at + size);
}
