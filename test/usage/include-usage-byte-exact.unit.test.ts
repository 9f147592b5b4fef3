import t from 'tap';
import { MAX_REWRITE_BYTES, includeUsage } from '../../src/usage/include-usage';

/**
 * The request rewrite adds `include_usage: true` and changes no other byte: each case names the body the client
 * sent and the exact body that goes upstream.
 */

const cases: [name: string, sent: string, upstream: string][] = [
  ['compact, no stream_options', '{"model":"m","stream":true}', '{"model":"m","stream":true,"stream_options":{"include_usage":true}}'],
  [
    'spaces, newlines and tabs kept',
    '{ "model" : "m" ,\n\t"stream" : true }\n',
    '{ "model" : "m" ,\n\t"stream" : true,"stream_options":{"include_usage":true} }\n',
  ],
  ['leading whitespace', '  \r\n{"stream":true}', '  \r\n{"stream":true,"stream_options":{"include_usage":true}}'],
  [
    'key order kept, stream first',
    '{"stream":true,"messages":[{"role":"user","content":"hi"}],"model":"m"}',
    '{"stream":true,"messages":[{"role":"user","content":"hi"}],"model":"m","stream_options":{"include_usage":true}}',
  ],
  [
    'escapes and lookalikes inside strings',
    '{"messages":[{"content":"\\u0022stream_options\\u0022: {\\"include_usage\\":true} }"}],"stream":true}',
    '{"messages":[{"content":"\\u0022stream_options\\u0022: {\\"include_usage\\":true} }"}],"stream":true,"stream_options":{"include_usage":true}}',
  ],
  [
    'stream_options deeper, not at the top',
    '{"metadata":{"stream_options":{"x":"1"}},"tools":[{"stream_options":null}],"stream":true}',
    '{"metadata":{"stream_options":{"x":"1"}},"tools":[{"stream_options":null}],"stream":true,"stream_options":{"include_usage":true}}',
  ],
  [
    'number spellings kept',
    '{"temperature":1.0E+0,"top_p":-0,"n":1e0,"stream":true}',
    '{"temperature":1.0E+0,"top_p":-0,"n":1e0,"stream":true,"stream_options":{"include_usage":true}}',
  ],
  [
    'UTF-8 text before and after (byte offsets, not characters)',
    '{"messages":[{"content":"héllo 😀 \u2028"}],"stream":true,"user":"ü"}',
    '{"messages":[{"content":"héllo 😀 \u2028"}],"stream":true,"user":"ü","stream_options":{"include_usage":true}}',
  ],
  [
    'other stream_options members kept',
    '{"stream":true,"stream_options":{"include_obfuscation":false}}',
    '{"stream":true,"stream_options":{"include_obfuscation":false,"include_usage":true}}',
  ],
  ['empty stream_options', '{"stream":true,"stream_options":{}}', '{"stream":true,"stream_options":{"include_usage":true}}'],
  ['empty stream_options with a space', '{"stream":true,"stream_options":{ }}', '{"stream":true,"stream_options":{"include_usage":true }}'],
  ['stream_options null', '{"stream":true,"stream_options":null,"model":"m"}', '{"stream":true,"stream_options":{"include_usage":true},"model":"m"}'],
  [
    'include_usage false is flipped',
    '{"stream":true,"stream_options":{"include_usage":false,"a":1}}',
    '{"stream":true,"stream_options":{"include_usage":true,"a":1}}',
  ],
  ['include_usage null', '{"stream":true,"stream_options":{"include_usage" : null}}', '{"stream":true,"stream_options":{"include_usage" : true}}'],
  ['an escaped stream_options key', '{"stream":true,"\\u0073tream_options":{"a":1}}', '{"stream":true,"\\u0073tream_options":{"a":1,"include_usage":true}}'],
  [
    'duplicate stream_options: the last one, the one that takes effect',
    '{"stream_options":{"include_usage":true},"stream":true,"stream_options":{"a":1}}',
    '{"stream_options":{"include_usage":true},"stream":true,"stream_options":{"a":1,"include_usage":true}}',
  ],
  [
    'duplicate include_usage: the last one',
    '{"stream":true,"stream_options":{"include_usage":true,"include_usage":false}}',
    '{"stream":true,"stream_options":{"include_usage":true,"include_usage":true}}',
  ],
  ['duplicate stream: the last one is true', '{"stream":false,"stream":true}', '{"stream":false,"stream":true,"stream_options":{"include_usage":true}}'],
];

for (const [name, sent, upstream] of cases) {
  t.test(name, async (t) => {
    const body = Buffer.from(sent);
    const rewrite = includeUsage(body);
    if (!rewrite) return void t.fail('no rewrite');
    t.equal(rewrite.body.toString('utf8'), upstream);
    t.equal(rewrite.lengthChange, Buffer.byteLength(upstream) - body.length, 'the content-length change');
    t.equal(body.toString('utf8'), sent, 'the client body itself is not modified');
    const before = JSON.parse(sent) as Record<string, any>;
    const after = JSON.parse(upstream) as Record<string, any>;
    t.same(after, { ...before, stream_options: { ...before.stream_options, include_usage: true } }, 'the same request, asking for usage');
    t.same(includeUsage(body, before)?.body, rewrite.body, 'the same from a body already parsed');
  });
}

const unchanged: [name: string, sent: string | Buffer][] = [
  ['usage already asked for', '{"stream":true,"stream_options":{"include_usage":true}}'],
  ['asked for in the last of duplicate stream_options', '{"stream_options":{},"stream":true,"stream_options":{"include_usage":true}}'],
  ['not a stream', '{"model":"m","messages":[]}'],
  ['stream false', '{"stream":false}'],
  ['stream "true" (a string)', '{"stream":"true"}'],
  ['duplicate stream: the last one is false', '{"stream":true,"stream":false}'],
  ['stream_options of the wrong type', '{"stream":true,"stream_options":"x"}'],
  ['stream_options an array', '{"stream":true,"stream_options":[]}'],
  ['include_usage of the wrong type', '{"stream":true,"stream_options":{"include_usage":1}}'],
  ['invalid JSON', '{"stream":true,}'],
  ['JSON cut short', '{"stream":true'],
  ['two values', '{"stream":true} {}'],
  ['a top-level array', '[{"stream":true}]'],
  ['a top-level string', '"stream"'],
  ['a byte-order mark', '\ufeff{"stream":true}'],
  ['empty', ''],
  ['too large', Buffer.from(`{"stream":true,"input":"${'a'.repeat(MAX_REWRITE_BYTES)}"}`)],
];

for (const [name, sent] of unchanged) {
  t.test(`no rewrite: ${name}`, async (t) => {
    t.equal(includeUsage(Buffer.isBuffer(sent) ? sent : Buffer.from(sent)), undefined);
  });
}
