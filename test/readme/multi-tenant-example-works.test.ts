// The README's multi-tenant example, run as written: its config file (with the key files it names laid out
// under a temp folder, and alice's key in ALICE_PROXY_KEY), and its curl to /v1/embeddings with
// wrapper-key-alice. Its `endpoints:` used to leave out embeddings, so the curl answered 404.
import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { startFakeUpstream } from '../helpers/fake-upstream';
import { request } from '../helpers/http';
import { assertNoKeyLeak, randomKey, startProxy } from '../helpers/proxy';
import { tempDir } from '../helpers/tmp';
import { codeBlocks, curlCommands, parseCurl, section } from './readme';

const MANY = section('Many clients: the config file');

/** Every `{ file: /abs/path }` in the config moves under `root`, and gets a key written there. */
function layOutFiles(value: unknown, root: string, keys: Map<string, string>): unknown {
  if (Array.isArray(value)) return value.map((v) => layOutFiles(v, root, keys));
  if (!value || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === 'file' && typeof v === 'string') {
      const path = join(root, v);
      mkdirSync(dirname(path), { recursive: true });
      const key = randomKey('sk-test-upstream');
      writeFileSync(path, `${key}\n`);
      keys.set(v, key);
      out[k] = path;
    } else out[k] = layOutFiles(v, root, keys);
  }
  return out;
}

t.test('the example config and curl, as the README gives them', async (t) => {
  const [yaml] = codeBlocks(MANY, 'yaml');
  const dir = tempDir(t);
  const upstreamKeys = new Map<string, string>();
  const config = join(dir, 'proxy.yaml');
  writeFileSync(config, stringify(layOutFiles(parse(yaml!), join(dir, 'files'), upstreamKeys)));
  const aliceKey = /ALICE_PROXY_KEY=([\w-]+)/.exec(MANY)?.[1];
  t.ok(aliceKey, 'the README says what ALICE_PROXY_KEY holds');

  const up = await startFakeUpstream({ t });
  // OPENAI_BASE_URL replaces the file's upstream.baseUrl (api.openai.com) with the fake, as the README explains.
  const proxy = await startProxy(t, { upstream: up, env: { PROXY_CONFIG: config, ALICE_PROXY_KEY: aliceKey } });
  const [command] = curlCommands(MANY);
  const curl = parseCurl(command!);
  const res = await request(curl.url.replace('http://localhost:18443', proxy.url), { method: curl.method, headers: curl.headers, body: curl.body });
  t.equal(res.status, 200, `${new URL(curl.url).pathname} with alice's key: 200`);
  const rec = up.lastRequest()!;
  t.equal(rec.url, '/v1/embeddings');
  t.ok(rec.headers.authorization === `Bearer ${upstreamKeys.get('/var/run/secrets/alice/openai-api-key')}`, "alice's own upstream key");
  t.equal(rec.headers['openai-project'], 'proj_abc', "alice's configured header");
  await assertNoKeyLeak(t, proxy, [aliceKey!, ...upstreamKeys.values()], [res.text]);
});
