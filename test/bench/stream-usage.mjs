// What exact stream counting costs per streamed chunk, in-process: the built dist/usage modules on a chat
// stream shaped like api.openai.com's (an `obfuscation` member on every chunk, one event per read).
//   passthrough   the stream as the client asked for it (no usage), read by the usage tap: today's cost
//   inject        the stream as sent with include_usage: the tap reads it and the filter strips it
//   filter only   the filter's share of inject
// plus the same three with four events per read (a busy connection coalesces writes), the filter as a stream
// stage against a PassThrough, and what the request rewrite costs per request. Rounds are interleaved so drift
// in the machine hits every row alike; each figure is CPU time, the median over rounds.
// Run: make build && node test/bench/stream-usage.mjs   (STREAM_USAGE_ROUNDS, STREAM_USAGE_STREAMS); `make bench` runs it
// as its last phase with --json (one JSON line out) and puts its figures in the report.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PassThrough, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'usage');
const load = createRequire(import.meta.url);
const { UsageTap } = load(join(dist, 'tap.js'));
const { IncludedUsageFilter, IncludedUsageStream } = load(join(dist, 'usage-filter.js'));
const { includeUsage } = load(join(dist, 'include-usage.js'));

const ROUNDS = Number(process.env.STREAM_USAGE_ROUNDS ?? 9);
const STREAMS = Number(process.env.STREAM_USAGE_STREAMS ?? 200);
const CHUNKS = 300;

const head = { id: 'chatcmpl-bench0001', object: 'chat.completion.chunk', created: 1735689600, model: 'gpt-4.1-mini-2025-04-14' };
const words = ['Hello', ' from', ' the', ' fake', ' upstream', '.', ' It', ' streams', ' one', ' token', ' at', ' a', ' time'];
function chunk(i, withUsage) {
  const delta = i === 0 ? { role: 'assistant', content: '', refusal: null } : { content: words[i % words.length] };
  const finish = i === CHUNKS - 1 ? 'stop' : null;
  const body = { ...head, service_tier: 'default', system_fingerprint: 'fp_bench0001', choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] };
  if (withUsage) body.usage = null;
  body.obfuscation = 'x'.repeat(3 + (i % 9));
  return `data: ${JSON.stringify(body)}\n\n`;
}
const usage = {
  prompt_tokens: 90,
  completion_tokens: CHUNKS,
  total_tokens: 90 + CHUNKS,
  prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
  completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
};
const usageChunk = `data: ${JSON.stringify({ ...head, choices: [], usage, obfuscation: 'xyz' })}\n\n`;

function reads(withUsage, perRead) {
  const events = Array.from({ length: CHUNKS }, (_, i) => chunk(i, withUsage));
  if (withUsage) events.push(usageChunk);
  events.push('data: [DONE]\n\n');
  const out = [];
  for (let i = 0; i < events.length; i += perRead) out.push(Buffer.from(events.slice(i, i + perRead).join('')));
  return out;
}

const noop = () => {};
function passthrough(stream) {
  const tap = new UsageTap('text/event-stream', undefined, 100);
  for (const read of stream) tap.write(read);
  // Without usage in the stream, passthrough ends in the estimate: one delta per content chunk.
  if (tap.end().output !== CHUNKS - 1) throw new Error('passthrough: the deltas were not counted');
}
function inject(stream) {
  const tap = new UsageTap('text/event-stream', undefined, 100);
  const filter = new IncludedUsageFilter(noop);
  let bytes = 0;
  for (const read of stream) {
    tap.write(read);
    for (const piece of filter.write(read)) bytes += piece.length;
  }
  if (tap.end().estimated || bytes === 0) throw new Error('inject: usage not read');
}
function filterOnly(stream) {
  const filter = new IncludedUsageFilter(noop);
  let bytes = 0;
  for (const read of stream) for (const piece of filter.write(read)) bytes += piece.length;
  if (bytes === 0) throw new Error('filter: nothing out');
}

// Sanity: what inject sends the client is what passthrough's upstream sent (obfuscation aside, identical).
{
  const filter = new IncludedUsageFilter(noop);
  const out = Buffer.concat(reads(true, 1).flatMap((r) => filter.write(r)));
  if (!out.equals(Buffer.concat(reads(false, 1)))) throw new Error('the filtered stream differs from the stream without usage');
}

const shapes = [1, 4].map((perRead) => ({ perRead, plain: reads(false, perRead), asked: reads(true, perRead) }));
const rows = [];
for (const { perRead, plain, asked } of shapes) {
  const suffix = perRead === 1 ? '' : `, ${perRead} events per read`;
  rows.push({ name: `passthrough (tap)${suffix}`, run: () => passthrough(plain) });
  rows.push({ name: `inject (tap + filter)${suffix}`, run: () => inject(asked) });
  rows.push({ name: `filter only${suffix}`, run: () => filterOnly(asked) });
}

// CPU time rather than wall time: the figure holds on a machine busy with other work.
const cpuNs = (since) => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) * 1000;
};

function timeRow(row) {
  const start = process.cpuUsage();
  for (let s = 0; s < STREAMS; s++) row.run();
  return cpuNs(start) / (STREAMS * CHUNKS);
}

async function timeStage(makeStage, stream) {
  const start = process.cpuUsage();
  for (let s = 0; s < STREAMS / 4; s++) {
    const sink = new Writable({ write: (_c, _e, done) => done() });
    await pipeline(Readable.from(stream, { objectMode: false }), makeStage(), sink);
  }
  return cpuNs(start) / ((STREAMS / 4) * CHUNKS);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const row of rows) timeRow(row); // warm-up
const samples = new Map(rows.map((r) => [r.name, []]));
const stage = { passThrough: [], filter: [] };
for (let round = 0; round < ROUNDS; round++) {
  for (const row of rows) samples.get(row.name).push(timeRow(row));
  stage.passThrough.push(await timeStage(() => new PassThrough(), shapes[0].plain));
  stage.filter.push(await timeStage(() => new IncludedUsageStream(noop), shapes[0].asked));
}

const nsPerChunk = Object.fromEntries(rows.map((row) => [row.name, median(samples.get(row.name))]));
nsPerChunk['stream stage: PassThrough (baseline)'] = median(stage.passThrough);
nsPerChunk['stream stage: IncludedUsageStream'] = median(stage.filter);

// The request side, once per request: the rewrite (JSON.parse to validate + one structural pass + one copy).
const message = (n) => ({ role: 'user', content: 'Tell me about the weather in Florence, Italy. '.repeat(n) });
const usPerRequest = {};
for (const [label, body] of [
  ['2 KiB body', { model: 'gpt-4.1-mini', stream: true, messages: [message(40)] }],
  ['60 KiB body', { model: 'gpt-4.1-mini', stream: true, messages: Array.from({ length: 30 }, () => message(42)) }],
]) {
  const bytes = Buffer.from(JSON.stringify(body));
  const parsed = JSON.parse(bytes.toString('utf8'));
  const n = Math.max(200, Math.floor(20_000_000 / bytes.length));
  const time = (fn) => {
    for (let i = 0; i < n / 10; i++) fn();
    const start = process.cpuUsage();
    for (let i = 0; i < n; i++) fn();
    return cpuNs(start) / n / 1000;
  };
  usPerRequest[`${label} (${bytes.length} B): includeUsage`] = median(Array.from({ length: 5 }, () => time(() => includeUsage(bytes))));
  usPerRequest[`${label}: includeUsage, body already parsed`] = median(Array.from({ length: 5 }, () => time(() => includeUsage(bytes, parsed))));
  usPerRequest[`${label}: JSON.parse alone (for scale)`] = median(Array.from({ length: 5 }, () => time(() => JSON.parse(bytes.toString('utf8')))));
}

const result = { chunksPerStream: CHUNKS, streams: STREAMS, rounds: ROUNDS, node: process.version, nsPerChunk, usPerRequest };
if (process.argv.includes('--json')) {
  // `make bench` runs it as a phase of its own and reads this one line.
  console.log(JSON.stringify(result));
} else {
  console.log(`stream-usage: ${CHUNKS} chunks per stream, ${STREAMS} streams per round, median of ${ROUNDS} rounds (Node ${process.version})`);
  console.log('ns per streamed chunk');
  for (const [name, ns] of Object.entries(nsPerChunk)) console.log(`  ${name.padEnd(44)} ${ns.toFixed(0).padStart(7)}`);
  console.log('us per request (request rewrite)');
  for (const [name, us] of Object.entries(usPerRequest)) console.log(`  ${name.padEnd(44)} ${us.toFixed(1).padStart(7)}`);
}
