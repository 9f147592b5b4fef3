import t from 'tap';
import { IncludedUsageFilter } from '../../src/usage/usage-filter';

/** What the filter does not recognise goes to the client byte for byte; it edits only its own members. */

function run(input: string): { out: string; usages: unknown[] } {
  const usages: unknown[] = [];
  const filter = new IncludedUsageFilter((u) => usages.push(u));
  const out = [...filter.write(Buffer.from(input)), ...filter.end()];
  return { out: Buffer.concat(out).toString('utf8'), usages };
}

const untouched = [
  ['not JSON', 'data: hello\n\n'],
  ['[DONE]', 'data: [DONE]\n\n'],
  ['an error event', 'data: {"error":{"message":"overloaded","type":"server_error"}}\n\n'],
  ['a retry field and an id', 'retry: 1000\nid: 7\n\n'],
  ['two data lines (one JSON across them)', 'data: {"choices":[],\ndata: "usage":null}\n\n'],
  ['usage of another type', 'data: {"choices":[],"usage":"none"}\n\n'],
  ['a usage object that is not JSON', 'data: {"choices":[],"usage":{"prompt_tokens":}}\n\n'],
  ['usage only nested', 'data: {"choices":[{"delta":{"usage":null}}]}\n\n'],
  ['usage nested in the last member', 'data: {"a":1,"b":{"c":2,"usage":null}}\n\n'],
  ['usage nested in the last member, first there', 'data: {"a":1,"b":{"usage":null}}\n\n'],
  ['usage inside a string', 'data: {"choices":[{"delta":{"content":"\\"usage\\":null"}}]}\n\n'],
  ['trailing garbage after the object', 'data: {"choices":[],"usage":null} x\n\n'],
  ['an object cut short', 'data: {"choices":[],"usage":null\n\n'],
  ['a JSON array', 'data: [{"usage":null}]\n\n'],
  ['a lone \\r line ending (not an event end)', 'data: {"usage":null}\r\r'],
  ['blank lines alone', '\n\n\r\n\n'],
];

for (const [name, input] of untouched) {
  t.test(name, async (t) => {
    const { out, usages } = run(input);
    t.equal(out, input);
    t.same(usages, []);
  });
}

t.test('a usage object beside content is cut like the nulls, and handed over', async (t) => {
  const { out, usages } = run('data: {"choices":[{"delta":{"content":"hi"}}],"usage":{"prompt_tokens":1,"completion_tokens":1}}\n\n');
  t.equal(out, 'data: {"choices":[{"delta":{"content":"hi"}}]}\n\n');
  t.same(usages, [{ prompt_tokens: 1, completion_tokens: 1 }]);
});

t.test('a usage chunk without choices, or with choices null, is removed whole', async (t) => {
  const usageOnly = [
    'data: {"id":"x","usage":{"prompt_tokens":2}}\n\n',
    'data: {"id":"x","choices":null,"usage":{"prompt_tokens":2}}\n\n',
    'data: {"choices":[ ],"usage":{"prompt_tokens":2}}\n\n',
  ];
  for (const input of usageOnly) {
    const { out, usages } = run(`${input}data: [DONE]\n\n`);
    t.equal(out, 'data: [DONE]\n\n', input);
    t.same(usages, [{ prompt_tokens: 2 }]);
  }
});

t.test('the only member, and an escaped key', async (t) => {
  t.equal(run('data: {"usage":null}\n\n').out, 'data: {}\n\n');
  const escaped = 'data: {"a":1,"\\u0075sage":null}\n\n';
  t.equal(run(escaped).out, escaped, 'an escaped key is not one the upstream writes: left alone');
});
