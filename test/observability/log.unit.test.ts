// Log lines are built by splicing the caller's fields after time, level and event (src/log.ts): each line must
// still be one JSON object with those three first, whatever the fields are.
import t from 'tap';
import { createLogger, fingerprint } from '../../src/observability/log';

function capture(level: Parameters<typeof createLogger>[0]) {
  const lines: string[] = [];
  return { lines, log: createLogger(level, (line) => lines.push(line)) };
}

t.test('one JSON object per line: time, level and event first, then the fields', async (t) => {
  const { lines, log } = capture('info');
  log.info('request', { client: 'alice', status: 200, path: '/v1/models/"quoted"\\\n', tokens: { input: 1 }, error: undefined });
  t.equal(lines.length, 1);
  t.ok(lines[0]!.endsWith('}\n'), 'ends the line');
  t.equal(lines[0]!.indexOf('\n'), lines[0]!.length - 1, 'a newline only at the end, even with one in a field');
  const line = JSON.parse(lines[0]!);
  t.same(Object.keys(line), ['time', 'level', 'event', 'client', 'status', 'path', 'tokens'], 'undefined fields are left out');
  t.match(line, { level: 'info', event: 'request', client: 'alice', status: 200, path: '/v1/models/"quoted"\\\n', tokens: { input: 1 } });
  t.ok(!Number.isNaN(Date.parse(line.time)), 'time is an ISO timestamp');
});

t.test('no fields, or fields that are all undefined', async (t) => {
  const { lines, log } = capture('debug');
  log.warn('plain');
  log.error('empty', {});
  log.debug('undefined only', { a: undefined });
  t.same(
    lines.map((l) => Object.keys(JSON.parse(l))),
    [
      ['time', 'level', 'event'],
      ['time', 'level', 'event'],
      ['time', 'level', 'event'],
    ],
  );
  t.same(
    lines.map((l) => JSON.parse(l).event),
    ['plain', 'empty', 'undefined only'],
  );
});

t.test('levels below the threshold write nothing', async (t) => {
  const { lines, log } = capture('warn');
  log.debug('a');
  log.info('b');
  log.warn('c');
  log.error('d');
  t.same(
    lines.map((l) => JSON.parse(l).level),
    ['warn', 'error'],
  );
});

t.test('a key is named only by its fingerprint: the first 8 hex digits of its SHA-256', async (t) => {
  t.equal(fingerprint('test'), '9f86d081');
});
