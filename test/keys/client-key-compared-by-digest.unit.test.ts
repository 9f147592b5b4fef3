// Key safety: client keys are compared without timing leaks by construction. The key table holds
// only SHA-256 digests of client keys, never a key; a presented key is hashed and the digest looked up in a
// map, so no comparison ever runs between an attacker's input and a stored secret. No clock is involved here:
// the test shows the lookup goes through the digest table, and only through it.
import t from 'tap';
import { buildKeyTable, digestOf, type Client, type KeyTable } from '../../src/keys/key-table';
import { keyCaller } from '../helpers/callers';
import { loadConfig } from '../../src/config/config';
import { randomKey } from '../helpers/proxy';

const keys = { fixed: randomKey('pk-test-fixed'), alice: randomKey('pk-test-alice'), bobOld: randomKey('pk-test-bob'), bobNew: randomKey('pk-test-bob') };

function table(): KeyTable {
  const env = { PROXY_CONFIG: '/config.yaml', PROXY_X_API_KEY: keys.fixed, ALICE_KEY: keys.alice, OPENAI_API_KEY: randomKey('sk-test-upstream') };
  const yaml = `clients:\n  - { name: alice, key: { env: ALICE_KEY } }\n  - { name: bob, key: { file: /bob } }\n  - { name: carol, key: { sha256: ${digestOf('carol-key')} } }\n`;
  const { config } = loadConfig(env, () => yaml);
  const built = buildKeyTable(config!, env, new Map([['/bob', `${keys.bobOld}\n${keys.bobNew}\n`]]));
  return built.table!;
}

/** A map that records every lookup, to see what the authenticator asks for. */
class RecordingMap extends Map<string, Client> {
  readonly asked: string[] = [];
  override get(key: string): Client | undefined {
    this.asked.push(key);
    return super.get(key);
  }
}

t.test('the table holds digests only, never a key', async (t) => {
  const stored = [...table().byDigest.keys()];
  t.equal(stored.length, 5, 'one entry per key (bob has two)');
  t.ok(
    stored.every((d) => /^[0-9a-f]{64}$/.test(d)),
    'every entry is a SHA-256 hex digest',
  );
  const everything = JSON.stringify([...table().byDigest.entries()]);
  t.notOk(
    Object.values(keys).some((key) => everything.includes(key)),
    'no client key is held anywhere in the table',
  );
});

t.test('a presented key is hashed, then its digest looked up: one map lookup, never the key itself', async (t) => {
  const recording = new RecordingMap(table().byDigest);
  const lookups = { byDigest: recording, byServiceAccount: new Map() };
  for (const [presented, expected] of [
    [keys.alice, 'alice'],
    [keys.bobNew, 'bob'],
    [keys.fixed, 'default'],
    ['carol-key', 'carol'],
    [randomKey('pk-wrong'), undefined],
  ] as const) {
    recording.asked.length = 0;
    t.equal(keyCaller(lookups, { 'x-api-key': presented })?.name, expected, `${expected ?? 'a wrong key'}: found by digest`);
    t.same(recording.asked, [digestOf(presented)], 'exactly one lookup, by the digest');
  }
  recording.asked.length = 0;
  keyCaller(lookups, { authorization: `Bearer ${keys.alice}` });
  t.same(recording.asked, [digestOf(keys.alice)], 'Bearer keys go the same way');
  t.equal(keyCaller(lookups, { 'x-api-key': digestOf(keys.alice) }), undefined, 'a stored digest is not itself a key');
});
