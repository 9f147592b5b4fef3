/**
 * One scenario's Pod, started for real: a fake OpenAI upstream over TLS on loopback, the chart rendered by
 * the real helm with the scenario's values, its Secrets and ConfigMaps laid out as the kubelet would, and the
 * image run as the rendered proxy container says (docker-run.ts). The check's own additions are values a user
 * could set too: the upstream's URL, two free ports (the container shares this machine's network, where the
 * chart's defaults may be taken), and the upstream's CA as a ConfigMap mounted through proxy.extraVolumeMounts
 * with NODE_EXTRA_CA_CERTS in proxy.extraEnv, as a user with a private CA would. A keyless scenario also gets a
 * fake token endpoint on loopback (upstream.workloadIdentity.tokenUrl), trusted through the same CA, issuing
 * access tokens of a few seconds so that a rotated projected token is exchanged soon. A callerToken scenario
 * gets a JWKS server on loopback (auth.serviceAccounts.jwksUrl) that answers the proxy's own API token only,
 * its certificate trusted only through the cluster CA laid out in the chart's projected volume.
 *
 *   startPod(t, scenario) -> Promise<RunningPod>   resolves once the startup (or readiness) probe answers 200
 *                                                  (the container is started 5 times, for the median start-up
 *                                                  time, and the last kept); it is removed in t.teardown
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Test } from 'tap';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { sleep, startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream';
import { identityToken, startFakeTokenEndpoint, type FakeTokenEndpoint } from '../helpers/fake-token-endpoint';
import { CA_PEM, randomKey } from '../helpers/proxy';
import { startJwksServer } from '../helpers/jwks-server';
import { jwksOf, serviceAccountToken, signingKey } from '../helpers/service-accounts';
import { tempDir } from '../helpers/tmp';
import { appContainers, envOf, podSpec, proxyContainer, render, type K8sObject } from '../chart/helm';
import { layOutPod, type VolumeMount } from '../chart/pod-layout';
import { checkInjectCommand, injectedPod } from './injected-pod';
import { dockerCreateArgs, type CreateOptions } from './docker-run';
import { docker } from './docker';
import type { Scenario, ScenarioKeys } from './scenarios';

const CA_DIR = '/etc/openai-proxy/upstream-ca';
const START_SAMPLES = 5;
/** Refreshed when a third is left: every 6 s, so a rotated projected token is exchanged within that. */
const TOKEN_SECONDS = 9;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export interface RunningPod {
  scenario: Scenario;
  container: K8sObject;
  spec: K8sObject;
  /** The name of the Docker container. */
  name: string;
  upstream: FakeUpstream;
  /** Keyless scenarios: where the projected token is exchanged. */
  tokens?: FakeTokenEndpoint;
  keys: ScenarioKeys;
  /** The kubelet's `..data` swap of a mounted Secret, ConfigMap or projected token (by its name). */
  rewrite(source: string, files: Record<string, string>): void;
  /** Whether an upstream request's Authorization carries the first credential, or the rotated one. */
  sentWith(which: 'first' | 'next', authorization: string | undefined): boolean;
  /** Credentials allowed upstream in Authorization only, and secrets that must never go upstream. */
  keySet(): { upstream: string[]; client: string[] };
  /** Where an app reaches the proxy, and the key it sends (the new one once a rotation has replaced it). */
  baseURL: string;
  apiKey: string;
  adminUrl: string;
  /** From `docker start` to the first 200 of the startup (or readiness) probe's endpoint (median of 5 starts). */
  startToReadyMs: number;
  /** From the moment the engine started the process to that 200 (median of 5 starts). */
  processToReadyMs: number;
}

export async function startPod(t: Test, scenario: Scenario): Promise<RunningPod> {
  const upstream = await startFakeUpstream({ t });
  const tokens = scenario.keyless ? await startFakeTokenEndpoint({ t }) : undefined;
  if (tokens) tokens.otherwise = { token: { expiresIn: TOKEN_SECONDS } };
  const keys: ScenarioKeys = {
    upstream: randomKey('sk-image-upstream'),
    upstreamNext: randomKey('sk-image-upstream-next'),
    client: randomKey('client-image'),
    clientNext: randomKey('client-image-next'),
    identity: identityToken(),
    identityNext: identityToken(),
    apiToken: randomKey('proxy-api-token'),
  };
  // callerToken: the cluster's signing key, its JWKS served to the proxy's own token only, and a caller's token.
  const signer = scenario.callerToken ? signingKey('RS256') : undefined;
  const jwks = signer && (await startJwksServer({ t, document: jwksOf(signer), bearer: keys.apiToken }));
  const callerToken = signer && serviceAccountToken(signer, { namespace: 'team-a', serviceAccount: 'chatbot', expiresIn: 3600 });
  const [port, adminPort] = [await freePort(), await freePort()];
  const { spec, container, layout } = await renderAndLayOut(t, tempDir(t), scenario, keys, harnessValues(upstream.url, port, adminPort, tokens, jwks?.url));
  const name = `openai-proxy-check-${scenario.name}-${process.pid}`;
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const firstProbe = container.startupProbe ?? container.readinessProbe;
  const start = (as: string) =>
    createAndStart(t, as, (opts) => dockerCreateArgs(spec, container, opts), container.image, `${adminUrl}${firstProbe.httpGet.path}`, layout.mounts);
  // Start-up time swings with what else the machine runs: the median of several starts, the last one kept.
  const timings = [];
  for (let i = 1; i < START_SAMPLES; i++) {
    timings.push(await start(`${name}-start${i}`));
    await docker(['rm', '--force', `${name}-start${i}`]);
  }
  timings.push(await start(name));

  // Keyless: the access tokens issued for the first projected token, or for the rotated one.
  const credentialsOf = (which: 'first' | 'next'): string[] => {
    if (!tokens) return [which === 'first' ? keys.upstream : keys.upstreamNext];
    const subject = which === 'first' ? keys.identity : keys.identityNext;
    return tokens.exchanges.filter((e) => e.subjectToken === subject && e.issued).map((e) => e.issued!);
  };
  const app = appContainers(spec)[0];
  const appEnv = app ? envOf(app) : {};
  return {
    scenario,
    container,
    spec,
    name,
    upstream,
    tokens,
    keys,
    rewrite: layout.rewrite,
    sentWith: (which, authorization) => credentialsOf(which).some((c) => authorization === `Bearer ${c}`),
    keySet: () => ({
      upstream: tokens ? tokens.issued : [keys.upstream, keys.upstreamNext],
      client: [keys.client, keys.clientNext, ...(tokens ? [keys.identity, keys.identityNext] : []), ...(callerToken ? [callerToken, keys.apiToken] : [])],
    }),
    baseURL: appEnv.OPENAI_BASE_URL ?? `http://127.0.0.1:${port}/v1`,
    apiKey: scenario.clientKey ? keys.client : (callerToken ?? String(appEnv.OPENAI_API_KEY)),
    adminUrl,
    startToReadyMs: median(timings.map((x) => x.startToReadyMs)),
    processToReadyMs: median(timings.map((x) => x.processToReadyMs)),
  };
}

async function renderAndLayOut(t: Test, dir: string, scenario: Scenario, keys: ScenarioKeys, harness: K8sObject) {
  const harnessFile = join(dir, 'harness-values.yaml');
  writeFileSync(harnessFile, stringify(harness));
  const objs = render({ values: [...scenario.values, harnessFile], set: scenario.set ?? [], kube: scenario.kube });
  const ca = readFileSync(CA_PEM, 'utf8');
  // The chart's projected volume for the proxy's own API token: what the kubelet writes there (token and CA).
  const kubeApi: Record<string, Record<string, string>> = scenario.callerToken
    ? { 'openai-proxy-kube-api': { token: `${keys.apiToken}\n`, 'ca.crt': ca } }
    : {};
  const existing = { ...scenario.secrets(keys), ...kubeApi, 'upstream-ca': { 'ca.pem': ca } };
  // An injected scenario runs the Pod the injector patched; the others the chart's own Pod.
  const pod = scenario.injected ? await injectedPod(t, dir, objs, scenario.appPodSecurityContext) : { metadata: {}, spec: podSpec(objs) };
  if (scenario.injected) await checkInjectCommand(t, objs, proxyContainer(pod.spec).image);
  const layout = layOutPod(pod, objs, join(dir, 'pod'), existing, { relocate: false, serviceAccountToken: keys.identity });
  return { spec: pod.spec, container: proxyContainer(pod.spec), layout };
}

type CreateArgs = (opts: CreateOptions) => string[];

/** Creates the container, then times `docker start` to the first 200 of `readyUrl`. */
async function createAndStart(t: Test, name: string, createArgs: CreateArgs, image: string, readyUrl: string, mounts: VolumeMount[]) {
  await docker(['rm', '--force', name]).catch(() => {});
  const imageUser = (await docker(['image', 'inspect', '--format', '{{.Config.User}}', image])).trim();
  await docker(['create', ...createArgs({ name, imageUser, mounts })]);
  t.teardown(() => docker(['rm', '--force', name]).catch(() => {}));

  const started = performance.now();
  await docker(['start', name]);
  await waitFor200(readyUrl, name);
  const startToReadyMs = performance.now() - started;
  const readyAt = Date.now();
  // dockerd's own record of when the process started: what of the time above is the proxy's, not the engine's.
  const startedAt = Date.parse((await docker(['inspect', '--format', '{{.State.StartedAt}}', name])).trim().replace(/(\.\d{3})\d*/, '$1'));
  return { startToReadyMs, processToReadyMs: readyAt - startedAt };
}

function harnessValues(upstreamUrl: string, port: number, adminPort: number, tokens?: FakeTokenEndpoint, jwksUrl?: string): K8sObject {
  return {
    upstream: { baseUrl: upstreamUrl, ...(tokens && { workloadIdentity: { tokenUrl: tokens.tokenUrl } }) },
    ...(jwksUrl && { auth: { serviceAccounts: { jwksUrl } } }),
    proxy: {
      port,
      adminPort,
      extraEnv: [{ name: 'NODE_EXTRA_CA_CERTS', value: `${CA_DIR}/ca.pem` }],
      extraVolumeMounts: [{ name: 'upstream-ca', mountPath: CA_DIR, readOnly: true }],
    },
    extraVolumes: [{ name: 'upstream-ca', configMap: { name: 'upstream-ca' } }],
  };
}

/** A port nothing listens on now (the container binds it, in this machine's network). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Polls every 5 ms, so the time measured is the proxy's and not the polling's; asks the engine whether the
 * container still runs only once a second, as that costs a CLI call.
 */
async function waitFor200(url: string, name: string, timeoutMs = 30_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let nextStateCheck = performance.now() + 1000;
  while (performance.now() < deadline) {
    const status = await fetch(url, { signal: AbortSignal.timeout(1000) }).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return;
    if (performance.now() > nextStateCheck) {
      nextStateCheck = performance.now() + 1000;
      const running = (await docker(['inspect', '--format', '{{.State.Running}}', name])).trim() === 'true';
      if (!running) throw new Error(`container exited before ${url} answered: ${await docker(['logs', name]).catch(() => '')}`);
    }
    await sleep(5);
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
}
