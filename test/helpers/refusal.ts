/**
 * The promise every hostile-input test checks: a 4xx in the proxy's JSON error shape (or, where the bytes leave
 * no room for an answer, a closed connection), the connection closed after it, and nothing sent upstream.
 *
 * Stable exports:
 *   expectRefused(t, stack, name, bytes, expected)   sends `bytes` on a fresh connection and asserts the above;
 *       expected: { status, code } (code: the JSON error code, or 'unauthorized' for the seed's 401 body)
 *       returns the answer's body text (for key-leak checks)
 */
import { rawExchange } from './http';
import type { Stack } from './stack';

interface TapLike {
  equal(found: unknown, wanted: unknown, message: string): unknown;
  ok(value: unknown, message: string): unknown;
}

export async function expectRefused(t: TapLike, s: Stack, name: string, bytes: string | Buffer, expected: { status: number; code: string }): Promise<string> {
  const before = s.up.requests.length;
  const answer = await rawExchange(s.proxy.port, bytes, { timeoutMs: 10_000 });
  const body = answer.body.toString('utf8');
  t.equal(answer.status, expected.status, `${name}: ${expected.status}`);
  t.equal(codeOf(body), expected.code, `${name}: JSON error ${expected.code}`);
  t.ok(answer.closedByServer, `${name}: the connection is closed after the answer`);
  t.equal(s.up.requests.length, before, `${name}: nothing sent upstream`);
  return body;
}

function codeOf(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body);
    if (parsed.error === 'unauthorized') return 'unauthorized';
    return parsed.error?.type === 'proxy_error' ? parsed.error.code : undefined;
  } catch {
    return undefined;
  }
}
