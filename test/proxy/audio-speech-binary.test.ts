// Binary audio from /v1/audio/speech comes back byte-for-byte (every byte value, no
// re-encoding), with its Content-Type.
import t from 'tap';
import { SPEECH_BYTES, sha256 } from '../helpers/fake-upstream';
import { request } from '../helpers/http';
import { noKeyLeak, startSingleTenant } from '../helpers/stack';

t.test('speech bytes come back unchanged', async (t) => {
  const s = await startSingleTenant(t);
  const res = await request(`${s.proxy.url}/v1/audio/speech`, {
    method: 'POST',
    headers: { ...s.auth, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'tts-1', voice: 'alloy', input: 'hello', response_format: 'mp3' }),
  });
  t.equal(res.status, 200);
  t.equal(res.headers['content-type'], 'audio/mpeg');
  t.equal(res.body.length, SPEECH_BYTES.length, 'same length');
  t.equal(sha256(res.body), sha256(SPEECH_BYTES), 'same bytes');
  t.equal(res.headers['x-request-id'], s.up.lastRequest()!.requestId);
  await noKeyLeak(t, s);
});
