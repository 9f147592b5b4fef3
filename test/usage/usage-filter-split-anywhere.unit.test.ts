import t from 'tap';
import { IncludedUsageFilter } from '../../src/usage/usage-filter';
import { allPairs } from './stream-variants';

/**
 * The filter turns the stream the upstream sent with usage into the bytes the client would have received
 * without it, whatever the reads: split at every single byte boundary, at every byte, and at random points.
 */

function filtered(pieces: Buffer[]): { out: Buffer; usages: Record<string, unknown>[] } {
  const usages: Record<string, unknown>[] = [];
  const filter = new IncludedUsageFilter((usage) => usages.push(usage));
  const out: Buffer[] = [];
  for (const piece of pieces) out.push(...filter.write(piece));
  out.push(...filter.end());
  return { out: Buffer.concat(out), usages };
}

/** A small seeded generator, so a failing split can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x80000000;
  };
}

for (const { name, withUsage, without, usage } of allPairs()) {
  t.test(name, async (t) => {
    t.not(withUsage.length, without.length, 'the two streams differ');
    const whole = filtered([withUsage]);
    t.equal(whole.out.toString('utf8'), without.toString('utf8'), 'one read');
    t.same(whole.usages, [usage], 'the usage handed over once');

    let splitsOk = 0;
    for (let at = 0; at <= withUsage.length; at++) {
      const { out, usages } = filtered([withUsage.subarray(0, at), withUsage.subarray(at)]);
      if (out.equals(without) && usages.length === 1) splitsOk++;
      else t.fail(`split at byte ${at}: ${JSON.stringify(out.toString('latin1').slice(Math.max(0, at - 40), at + 40))}`);
    }
    t.equal(splitsOk, withUsage.length + 1, 'every single split point');

    const bytes = [...withUsage].map((b) => Buffer.from([b]));
    const perByte = filtered(bytes);
    t.ok(perByte.out.equals(without), 'one byte per read');
    t.same(perByte.usages, [usage]);

    const next = random(withUsage.length);
    for (let round = 0; round < 50; round++) {
      const cuts = Array.from({ length: 1 + Math.floor(next() * 12) }, () => Math.floor(next() * withUsage.length)).sort((a, b) => a - b);
      const pieces = [0, ...cuts].map((from, i) => withUsage.subarray(from, [...cuts, withUsage.length][i]));
      const { out, usages } = filtered(pieces);
      t.ok(out.equals(without) && usages.length === 1, `random splits at ${cuts.join(',')}`);
    }
  });
}
