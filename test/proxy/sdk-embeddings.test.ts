// Embeddings through the SDK (which asks for base64 and decodes it) and as floats.
import t from 'tap';
import { EMBEDDING } from '../helpers/fake-upstream';
import { noKeyLeak, startSingleTenant } from '../helpers/stack';

t.test('SDK embeddings.create', async (t) => {
  const s = await startSingleTenant(t);
  const client = s.sdk();
  const b64 = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['one', 'two'] });
  t.equal(b64.data.length, 2);
  t.same(b64.data[1].embedding, EMBEDDING, 'base64 vectors decoded by the SDK');
  t.equal(JSON.parse(s.up.lastRequest()!.body.toString()).encoding_format, 'base64');
  const floats = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'one', encoding_format: 'float' });
  t.same(floats.data[0].embedding, EMBEDDING);
  t.equal(s.up.lastRequest()!.url, '/v1/embeddings');
  await noKeyLeak(t, s);
});
