import t from 'tap';
import { RedisError } from '../../src/redis/errors';
import { RespParser, type RespValue } from '../../src/redis/resp';

// Every RESP2 and RESP3 type, nested, with a multi-byte UTF-8 character and an empty string.
const STREAM = Buffer.from(
  '+OK\r\n' +
    '-ERR wrong number of arguments\r\n' +
    ':-42\r\n' +
    '$12\r\nhéllo wörl\r\n' +
    '$0\r\n\r\n' +
    '$-1\r\n' +
    '*3\r\n:1\r\n*2\r\n$1\r\na\r\n_\r\n-NOPERM nested\r\n' +
    '%2\r\n+k1\r\n:1\r\n$2\r\nk2\r\n*1\r\n#t\r\n' +
    '~2\r\n,3.5\r\n(12345678901234567890\r\n' +
    '=15\r\ntxt:Some string\r\n' +
    '>3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n' +
    '|1\r\n+ttl\r\n:3600\r\n#f\r\n' +
    '*-1\r\n',
  'utf8',
);

const EXPECTED: RespValue[] = [
  'OK',
  new RedisError('reply', 'ERR wrong number of arguments'),
  -42,
  'héllo wörl',
  '',
  null,
  [1, ['a', null], new RedisError('reply', 'NOPERM nested')],
  new Map<RespValue, RespValue>([
    ['k1', 1],
    ['k2', [true]],
  ]),
  [3.5, 12345678901234567890n],
  'Some string',
  false, // the attribute before it is dropped
  null,
];

function parseInPieces(pieces: Buffer[]): { replies: RespValue[]; pushes: RespValue[] } {
  const replies: RespValue[] = [];
  const pushes: RespValue[] = [];
  const parser = new RespParser(
    (v) => replies.push(v),
    (v) => pushes.push(v),
  );
  for (const piece of pieces) parser.feed(piece);
  return { replies, pushes };
}

function comparable(values: RespValue[]): unknown {
  return JSON.parse(
    JSON.stringify(values, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v instanceof Map ? [...v] : v instanceof RedisError ? `error:${v.message}` : v)),
  );
}

t.test('the whole stream in one chunk', async (t) => {
  const { replies, pushes } = parseInPieces([STREAM]);
  t.same(comparable(replies), comparable(EXPECTED));
  t.same(pushes, [['message', 'ch', 'hi']], 'the push went to onPush, not to a command');
});

t.test('split in two at every byte boundary', async (t) => {
  for (let i = 1; i < STREAM.length; i++) {
    const { replies } = parseInPieces([STREAM.subarray(0, i), STREAM.subarray(i)]);
    if (JSON.stringify(comparable(replies)) !== JSON.stringify(comparable(EXPECTED))) {
      t.fail(`split at byte ${i} gave ${JSON.stringify(comparable(replies))}`);
      return;
    }
  }
  t.pass('every split point parsed the same');
});

t.test('one byte at a time', async (t) => {
  const pieces: Buffer[] = [];
  for (let i = 0; i < STREAM.length; i++) pieces.push(STREAM.subarray(i, i + 1));
  t.same(comparable(parseInPieces(pieces).replies), comparable(EXPECTED));
});

t.test('a reply is delivered only once complete', async (t) => {
  const replies: RespValue[] = [];
  const parser = new RespParser((v) => replies.push(v));
  parser.feed(Buffer.from('*2\r\n:1\r\n'));
  t.same(replies, [], 'half an array is not a reply');
  t.ok(parser.partial > 0);
  parser.feed(Buffer.from(':2\r\n'));
  t.same(replies, [[1, 2]]);
  t.equal(parser.partial, 0);
});

t.test('bytes that are not RESP are a protocol error', async (t) => {
  for (const bad of ['?what\r\n', ':12x\r\n', '+no cr\n', '#x\r\n', '$3\r\nabcde\r\n']) {
    const parser = new RespParser(() => {});
    t.throws(() => parser.feed(Buffer.from(bad)), { name: 'RedisError', kind: 'protocol' }, JSON.stringify(bad));
  }
});
