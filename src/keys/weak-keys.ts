/**
 * Keys the proxy refuses to serve with. `cp .env.example .env && make run` must not put a proxy on 0.0.0.0
 * whose client key is printed in this repository, and a short client key is guessable by anyone who can
 * reach the port. Messages name the problem, never the key.
 */

/** The placeholders `.env.example` ships with. */
export const PLACEHOLDER_KEYS: ReadonlySet<string> = new Set(['sk-your-real-openai-key', 'change-me-to-a-long-random-string']);

/** 16 characters of a random string are far beyond guessing; `openssl rand -hex 32` gives 64. */
export const MIN_CLIENT_KEY_LENGTH = 16;

const PLACEHOLDER = 'holds the placeholder from .env.example';

export function clientKeyProblem(key: string): string | undefined {
  if (PLACEHOLDER_KEYS.has(key)) return `${PLACEHOLDER}: pick a long random client key (openssl rand -hex 32)`;
  if (key.length < MIN_CLIENT_KEY_LENGTH)
    return `a client key is shorter than ${MIN_CLIENT_KEY_LENGTH} characters: use a long random string (openssl rand -hex 32)`;
  return undefined;
}

/** Upstream keys are the upstream's to judge (vLLM accepts any string); only the placeholder is refused. */
export function upstreamKeyProblem(key: string): string | undefined {
  return PLACEHOLDER_KEYS.has(key) ? `${PLACEHOLDER}: put your real upstream key in it` : undefined;
}
