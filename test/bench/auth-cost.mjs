// What authenticating one request costs, in-process and without HTTP around it: the built proxy's own
// caller lookup (dist/keys/callers.js) on the bench's config, for a key, for a ServiceAccount token answered
// from the verified-token cache, and for a token seen for the first time (signature and claims checked).
// CPU time of a tight loop, so the figure holds on a busy machine where wrk's req/s does not.
import { createRequire } from 'node:module';
import { join } from 'node:path';

const cpuUs = (start) => {
  const d = process.cpuUsage(start);
  return d.user + d.system;
};

export async function authCost(distDir, env, { key, token, mint }, iterations = 200_000) {
  const load = createRequire(import.meta.url);
  const { loadConfig } = load(join(distDir, 'config', 'config.js'));
  const { KeyStore } = load(join(distDir, 'keys', 'keystore.js'));
  const { identifyCaller } = load(join(distDir, 'keys', 'callers.js'));
  const { startServiceAccountTokens } = load(join(distDir, 'service-accounts', 'service-account-tokens.js'));
  const { createMetrics } = load(join(distDir, 'observability', 'metrics.js'));
  const { createLogger } = load(join(distDir, 'observability', 'log.js'));

  const { config, problems } = loadConfig(env);
  if (!config) throw new Error(`auth-cost: bad config ${JSON.stringify(problems)}`);
  const keys = KeyStore.load(config, env).store;
  const sa = startServiceAccountTokens(
    config.kubernetes,
    createLogger('error', () => {}),
    createMetrics(),
  );
  for (let i = 0; i < 200 && !sa.tokens.ready(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!sa.tokens.ready()) throw new Error('auth-cost: the JWKS file did not load');

  const run = (headers, n) => {
    const expect = (a) => {
      if (!a.client) throw new Error(`auth-cost: refused ${JSON.stringify(a)}`);
    };
    for (let i = 0; i < 1000; i++) expect(identifyCaller(keys.table, sa.tokens, headers)); // warm-up
    const start = process.cpuUsage();
    for (let i = 0; i < n; i++) expect(identifyCaller(keys.table, sa.tokens, headers));
    return (cpuUs(start) * 1000) / n;
  };
  const keyNs = run({ 'x-api-key': key }, iterations);
  const cachedNs = run({ authorization: `Bearer ${token}` }, iterations);
  // Fresh tokens, each checked once: the RS256 signature and the claims, then cached.
  const fresh = Array.from({ length: 300 }, (_, i) => ({ authorization: `Bearer ${mint(`fresh-${i}`)}` }));
  const start = process.cpuUsage();
  for (const headers of fresh) if (!identifyCaller(keys.table, sa.tokens, headers).client) throw new Error('auth-cost: a fresh token was refused');
  const firstNs = (cpuUs(start) * 1000) / fresh.length;
  sa.close();
  keys.close();
  return { iterations, keyNs, cachedTokenNs: cachedNs, firstTokenNs: firstNs, tokenBytes: token.length };
}
