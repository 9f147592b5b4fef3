// Key safety: the guard every proxy test runs in its teardown (test/helpers/keys.ts, wired in
// startProxy) finds the keys a proxy was given wherever they are given, and catches a key in the wrong place.
// A guard that silently found nothing would make every other test's key check pass for nothing.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from '../helpers/http';
import { bodyKeyScanner, fingerprint, keysHandedToProxy, leaksIn, misplacedKeys } from '../helpers/keys';
import { randomKey } from '../helpers/proxy';
import { startSingleTenant } from '../helpers/stack';
import { tempDir } from '../helpers/tmp';

// Compared by fingerprint, so that even a failure's diff prints no key.
const sorted = (keys: string[]) => keys.map(fingerprint).sort();

t.test('keys are collected from variables, key files and the config file, each with its role', async (t) => {
  const dir = tempDir(t);
  const k = Object.fromEntries(['up', 'upFile', 'client', 'clientOld', 'clientNew', 'inline', 'aliceUp', 'carol', 'bobFile'].map((n) => [n, randomKey(n)]));
  writeFileSync(join(dir, 'openai'), `${k.upFile}\n`);
  writeFileSync(join(dir, 'clients'), `${k.clientOld}\r\n\r\n${k.clientNew}  \n`);
  writeFileSync(join(dir, 'bob'), k.bobFile!);
  writeFileSync(
    join(dir, 'config.yaml'),
    `clients:\n  - { name: a, key: { value: "${k.inline}" }, upstreamKey: { env: ALICE_UP } }\n` +
      `  - { name: b, key: { file: ${join(dir, 'bob')} } }\n  - { name: c, key: { env: CAROL_KEY } }\n  - { name: d, key: { sha256: ${'0'.repeat(64)} } }\n`,
  );
  const keys = keysHandedToProxy({
    OPENAI_API_KEY: k.up,
    OPENAI_API_KEY_FILE: join(dir, 'openai'),
    PROXY_X_API_KEY: k.client,
    PROXY_X_API_KEY_FILE: join(dir, 'clients'),
    PROXY_CONFIG: join(dir, 'config.yaml'),
    ALICE_UP: k.aliceUp,
    CAROL_KEY: k.carol,
    SHORT_KEY: 'abc',
    PORT: '0',
  });
  t.same(sorted(keys.upstream), sorted([k.up!, k.upFile!, k.aliceUp!]), 'upstream keys: env, key file, config upstreamKey by env');
  t.same(
    sorted(keys.client),
    sorted([k.client!, k.clientOld!, k.clientNew!, k.inline!, k.bobFile!, k.carol!]),
    'client keys: env, every line of a key file, config value/file/env',
  );
});

t.test('workload identity token files are guarded as client keys: never upstream, never logged', async (t) => {
  const dir = tempDir(t);
  const [envToken, azureToken, fileToken, clientToken] = ['openai', 'azure', 'file', 'client'].map((n) => randomKey(`eyJ-${n}`));
  writeFileSync(join(dir, 'openai-token'), `${envToken}\n`);
  writeFileSync(join(dir, 'azure-token'), azureToken!);
  writeFileSync(join(dir, 'file-token'), fileToken!);
  writeFileSync(join(dir, 'client-token'), clientToken!);
  const wi = (file: string) => `{ workloadIdentity: { tokenFile: ${join(dir, file)}, identityProviderId: w, serviceAccountId: s } }`;
  writeFileSync(
    join(dir, 'config.yaml'),
    `upstream:\n  apiKey: ${wi('file-token')}\nclients:\n  - { name: a, key: { sha256: ${'0'.repeat(64)} }, upstreamKey: ${wi('client-token')} }\n`,
  );
  const keys = keysHandedToProxy({
    OPENAI_IDENTITY_TOKEN_FILE: join(dir, 'openai-token'),
    AZURE_FEDERATED_TOKEN_FILE: join(dir, 'azure-token'),
    PROXY_CONFIG: join(dir, 'config.yaml'),
  });
  t.same(keys.upstream, [], 'an identity token is not an upstream key: not even Authorization may carry it');
  t.same(sorted(keys.client), sorted([envToken!, azureToken!, fileToken!, clientToken!]));
  const upstreamRequest = { url: '/v1/models', rawHeaders: ['Authorization', `Bearer ${envToken}`], body: Buffer.alloc(0) };
  t.same(misplacedKeys([upstreamRequest], keys), [`client key ${fingerprint(envToken!)} in header Authorization of upstream request #0 (/v1/models)`]);
});

t.test('leaksIn names the key by fingerprint and every place it was found', async (t) => {
  const key = randomKey('sk-test');
  const [message, ...rest] = leaksIn(
    [
      ['stdout', `a ${key} b`],
      ['stderr', ''],
      ['/metrics', `x{k="${key}"}`],
    ],
    [key, randomKey('other')],
  );
  t.equal(message, `key ${fingerprint(key)} found in stdout, /metrics`);
  t.same(rest, [], 'a key found nowhere is no problem');
  t.notOk(message!.includes(key), 'the message does not hold the key');
});

t.test('misplacedKeys: upstream keys only as `authorization: Bearer <key>`, client keys nowhere', async (t) => {
  const up = randomKey('sk-test-upstream');
  const client = randomKey('pk-test-client');
  const keys = { upstream: [up], client: [client] };
  const rec = (url: string, rawHeaders: string[], body = '') => ({ url, rawHeaders, body: Buffer.from(body) });
  t.same(misplacedKeys([rec('/v1/models', ['Authorization', `Bearer ${up}`])], keys), [], 'where it belongs');
  const problems = misplacedKeys(
    [
      rec(`/v1/models?key=${up}`, []),
      rec('/v1/models', ['Authorization', `Bearer ${up}`, 'X-Debug', up]),
      rec('/v1/chat/completions', [], `{"k":"${up}"}`),
      rec('/v1/models', ['Authorization', `Bearer ${client}`]),
      rec('/v1/models', ['Authorization', `Bearer ${up}x`]),
      { ...rec('/v1/audio/transcriptions', []), bodyKeyFingerprints: [fingerprint(up)] },
    ],
    keys,
  );
  t.equal(problems.length, 6, 'each misplacement is reported');
  t.match(problems.join('\n'), /the URL[\s\S]*header X-Debug[\s\S]*the body[\s\S]*header Authorization/);
  t.notOk(
    problems.some((p) => p.includes(up) || p.includes(client)),
    'messages name keys by fingerprint only',
  );
});

t.test('bodyKeyScanner finds a key split across chunks, and nothing in a body without one', async (t) => {
  const key = randomKey('sk-test');
  const body = Buffer.from(`${'x'.repeat(1000)}${key}${'y'.repeat(1000)}`);
  for (const cut of [1000, 1005, 1000 + key.length - 1, 1000 + key.length]) {
    const scanner = bodyKeyScanner([key]);
    for (const part of [body.subarray(0, cut), body.subarray(cut, cut + 3), body.subarray(cut + 3)]) scanner.write(part);
    t.same(scanner.found(), [fingerprint(key)], `found when cut at ${cut}`);
  }
  const clean = bodyKeyScanner([key]);
  clean.write(Buffer.from(key.slice(0, 10)));
  clean.write(Buffer.from(key.slice(11)));
  t.same(clean.found(), [], 'a near miss is not a find');
});

t.test('wired into startProxy: the real proxy and fake upstream are guarded with the right keys', async (t) => {
  const s = await startSingleTenant(t);
  t.same(
    [s.proxy.keys.upstream.map(fingerprint), s.proxy.keys.client.map(fingerprint)],
    [[fingerprint(s.upstreamKey)], [fingerprint(s.clientKey)]],
    'the proxy guards exactly the keys it was given',
  );
  t.equal((await request(`${s.proxy.url}/v1/chat/completions`, { method: 'POST', headers: s.auth, body: 'hello' })).status, 200);
  t.same(s.up.misplacedKeys(s.proxy.keys), [], 'this request is clean');
  const swapped = s.up.misplacedKeys({ upstream: [], client: [s.upstreamKey] });
  t.match(swapped, [/header authorization/i], 'the check reads the headers the upstream really received');
  const leaked = randomKey('sk-test-upstream');
  s.up.watchKeys([leaked]);
  await request(`${s.proxy.url}/v1/chat/completions`, { method: 'POST', headers: s.auth, body: `{"note":"${leaked}"}` });
  t.match(s.up.misplacedKeys({ upstream: [leaked], client: [] }), [/the body/], 'a key in a forwarded body is caught');
  s.up.requests.pop(); // that body was this test's own doing, not the proxy's: keep it out of the teardown's check
});
