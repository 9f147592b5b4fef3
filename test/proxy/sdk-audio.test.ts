// Audio through the SDK: speech (binary back), transcription and translation (multipart up).
import t from 'tap';
import { SPEECH_BYTES, pseudoRandomBytes, sha256 } from '../helpers/fake-upstream';
import { noKeyLeak, startSingleTenant } from '../helpers/stack';

t.test('SDK audio.speech, audio.transcriptions, audio.translations', async (t) => {
  const s = await startSingleTenant(t);
  const client = s.sdk();

  const speech = await client.audio.speech.create({ model: 'tts-1', voice: 'alloy', input: 'Hello' });
  t.equal(speech.headers.get('content-type'), 'audio/mpeg');
  const audio = Buffer.from(await speech.arrayBuffer());
  t.equal(audio.length, SPEECH_BYTES.length, 'speech: same length');
  t.equal(sha256(audio), sha256(SPEECH_BYTES), 'speech: same bytes');

  const recording = pseudoRandomBytes(123_457, 3);
  const tr = await client.audio.transcriptions.create({ model: 'whisper-1', file: new File([new Uint8Array(recording)], 'hello.mp3', { type: 'audio/mpeg' }) });
  t.equal(tr.text, 'Hello from the fake upstream.');
  let rec = s.up.lastRequest()!;
  t.equal(rec.url, '/v1/audio/transcriptions');
  t.ok(rec.body.includes(recording), 'transcription: the file arrived byte-for-byte');

  const tl = await client.audio.translations.create({ model: 'whisper-1', file: new File([new Uint8Array(recording)], 'hallo.mp3', { type: 'audio/mpeg' }) });
  t.equal(tl.text, 'Hello from the fake upstream.');
  rec = s.up.lastRequest()!;
  t.equal(rec.url, '/v1/audio/translations');
  t.ok(rec.body.includes(recording), 'translation: the file arrived byte-for-byte');
  await noKeyLeak(t, s);
});
