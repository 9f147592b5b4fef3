import t from 'tap';
import { RespParser, type RespValue } from '../../src/redis/resp';

t.test('a bulk string of several MiB, arriving in 64 KiB chunks, then another reply', async (t) => {
  const size = 6 * 1024 * 1024 + 7;
  const body = Buffer.alloc(size, 'x');
  body.write('start', 0);
  body.write('end', size - 3);
  const wire = Buffer.concat([Buffer.from(`$${size}\r\n`), body, Buffer.from('\r\n:7\r\n')]);
  const replies: RespValue[] = [];
  const parser = new RespParser((v) => replies.push(v));
  for (let i = 0; i < wire.length; i += 65536) parser.feed(wire.subarray(i, i + 65536));
  t.equal(replies.length, 2);
  const text = replies[0] as string;
  t.equal(text.length, size);
  t.ok(text.startsWith('start') && text.endsWith('end'), 'the bytes are whole and in order');
  t.equal(replies[1], 7);
});

t.test('a large bulk string inside an array', async (t) => {
  const big = 'y'.repeat(3 * 1024 * 1024);
  const wire = Buffer.from(`*3\r\n$2\r\nhi\r\n$${big.length}\r\n${big}\r\n:1\r\n`);
  const replies: RespValue[] = [];
  const parser = new RespParser((v) => replies.push(v));
  for (let i = 0; i < wire.length; i += 16384) parser.feed(wire.subarray(i, i + 16384));
  t.equal(replies.length, 1);
  const [first, second, third] = replies[0] as RespValue[];
  t.equal(first, 'hi');
  t.equal((second as string).length, big.length);
  t.equal(third, 1);
});
