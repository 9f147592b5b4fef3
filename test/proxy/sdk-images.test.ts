// Image generation (JSON) and image edit (multipart upload) through the SDK.
import t from 'tap';
import { IMAGE_PNG, pseudoRandomBytes } from '../helpers/fake-upstream';
import { noKeyLeak, startSingleTenant } from '../helpers/stack';

t.test('SDK images.generate and images.edit', async (t) => {
  const s = await startSingleTenant(t);
  const client = s.sdk();

  const gen = await client.images.generate({ model: 'gpt-image-1', prompt: 'a red square', size: '1024x1024' });
  t.same(Buffer.from(gen.data![0].b64_json!, 'base64'), IMAGE_PNG);
  t.equal(s.up.lastRequest()!.url, '/v1/images/generations');

  const image = Buffer.concat([IMAGE_PNG, pseudoRandomBytes(200_000, 7)]);
  const mask = pseudoRandomBytes(50_000, 9);
  const edit = await client.images.edit({
    model: 'gpt-image-1',
    prompt: 'make it blue',
    image: new File([new Uint8Array(image)], 'square.png', { type: 'image/png' }),
    mask: new File([new Uint8Array(mask)], 'mask.png', { type: 'image/png' }),
  });
  t.ok(edit.data?.[0]?.b64_json, 'edit answered');
  const rec = s.up.lastRequest()!;
  t.equal(rec.url, '/v1/images/edits');
  const type = String(rec.headers['content-type']);
  t.match(type, /^multipart\/form-data; boundary=/);
  const boundary = type.split('boundary=')[1];
  t.ok(rec.body.includes(`--${boundary}--`), 'the body ends with its boundary from the Content-Type');
  t.ok(rec.body.includes(image), 'the image arrived byte-for-byte');
  t.ok(rec.body.includes(mask), 'the mask arrived byte-for-byte');
  t.equal(rec.bodyLength, rec.body.length, 'the whole body was recorded');
  await noKeyLeak(t, s);
});
