/**
 * The Pods the image check runs: one entry per chart mode or values file. Each is rendered by the real helm,
 * its Secrets and ConfigMaps laid out as the kubelet lays them out, and the image run exactly as the rendered
 * proxy container says (see run-as-rendered.ts for what is checked through it).
 *
 * Adding one: append an entry. `values` and `kube` say what to render; `secrets` gives the Secrets a user
 * would create beforehand (name -> entries), from the keys the check makes up; `rotate` says which of them
 * the check swaps (the kubelet's `..data` swap) and with what. `injected` Pods are the injector's patch of a
 * Deployment's Pod (injected-pod.ts) rather than the chart's own. `keyless` Pods get no upstream key: they
 * exchange their projected ServiceAccount token (`identity`, rotated to `identityNext` by naming the
 * projected volume in `rotate`) at a fake token endpoint, whose access tokens are what must reach the
 * upstream. `callerToken` Pods are called with a Kubernetes ServiceAccount token instead of a client key: the
 * check serves the cluster's signing keys (JWKS) over TLS to the proxy's own API token (`apiToken`, laid out
 * with the cluster CA in the chart's projected volume). A Pod that mounts a kind of volume the layout does not know yet needs it taught to
 * test/chart/pod-layout.ts, and a
 * container field the docker translation does not know fails loudly in test/image/docker-run.ts until it is
 * taught there too.
 */
type Files = Record<string, string>;

/** Made up afresh for every run; `next*` are what the rotation swaps in. */
export interface ScenarioKeys {
  upstream: string;
  upstreamNext: string;
  client: string;
  clientNext: string;
  /** The projected ServiceAccount token the kubelet writes, and the one it rotates in. */
  identity: string;
  identityNext: string;
  /** The proxy's own API token, with which it reads the JWKS (callerToken scenarios). */
  apiToken: string;
}

export interface Scenario {
  name: string;
  /** What it stands for, in the results table. */
  about: string;
  values: string[];
  set?: string[];
  kube: string;
  /** Whether callers must send a client key (else the app's placeholder key is sent, and ignored). */
  clientKey: boolean;
  /** Upstream credentials by workload identity, from a fake token endpoint, instead of an upstream key. */
  keyless?: boolean;
  /** Callers send a ServiceAccount token (team-a/chatbot) that the proxy verifies against a JWKS. */
  callerToken?: boolean;
  /** The Pod is the one the sidecar injector makes of test/fixtures/admission/deployment-pod.json. */
  injected?: boolean;
  /** An injected Pod's own Pod-level securityContext (the fixture has none), before the injector sees it. */
  appPodSecurityContext?: Record<string, unknown>;
  secrets(k: ScenarioKeys): Record<string, Files>;
  rotate(k: ScenarioKeys): { secret: string; files: Files };
}

const keysSecret = (upstream: string, client: string): Files => ({ 'openai-api-key': `${upstream}\n`, 'proxy-api-key': `${client}\n` });

export const SCENARIOS: Scenario[] = [
  {
    name: 'service',
    about: 'mode: service, client key, Kubernetes 1.33',
    values: ['chart/ci/service-values.yaml'],
    kube: '1.33',
    clientKey: true,
    secrets: (k) => ({ 'openai-proxy-keys': keysSecret(k.upstream, k.client) }),
    // The old and the new client key side by side while clients move over, and a new upstream key.
    rotate: (k) => ({ secret: 'openai-proxy-keys', files: keysSecret(k.upstreamNext, `${k.client}\n${k.clientNext}`) }),
  },
  {
    name: 'sidecar',
    about: 'mode: sidecar, native, no client key, Kubernetes 1.33',
    values: ['chart/ci/sidecar-values.yaml'],
    kube: '1.33',
    clientKey: false,
    secrets: (k) => ({ 'openai-api-key': { 'openai-api-key': k.upstream } }),
    rotate: (k) => ({ secret: 'openai-api-key', files: { 'openai-api-key': k.upstreamNext } }),
  },
  {
    name: 'sidecar-regular',
    about: 'mode: sidecar, regular container, client key, Kubernetes 1.28 (exec preStop)',
    values: ['chart/ci/sidecar-key-values.yaml'],
    kube: '1.28',
    clientKey: true,
    secrets: (k) => ({ 'openai-proxy-keys': keysSecret(k.upstream, k.client) }),
    rotate: (k) => ({ secret: 'openai-proxy-keys', files: keysSecret(k.upstreamNext, k.clientNext) }),
  },
  {
    name: 'sidecar-keyless',
    about: 'mode: sidecar, native, workload identity, no Secret at all, Kubernetes 1.33',
    values: ['chart/ci/sidecar-keyless-values.yaml'],
    kube: '1.33',
    clientKey: false,
    keyless: true,
    secrets: () => ({}),
    // The kubelet rotates the projected token in place; the next exchange must send the new one.
    rotate: (k) => ({ secret: 'openai-proxy-identity', files: { token: k.identityNext } }),
  },
  {
    name: 'service-accounts',
    about: "mode: service, callers by ServiceAccount token (no client key), JWKS with the proxy's own token, Kubernetes 1.33",
    values: ['chart/ci/service-serviceaccounts-values.yaml'],
    kube: '1.33',
    clientKey: false,
    callerToken: true,
    secrets: (k) => ({ 'openai-proxy-upstream': { 'openai-api-key': k.upstream }, 'bob-openai-proxy': { 'proxy-api-key': k.client } }),
    rotate: (k) => ({ secret: 'openai-proxy-upstream', files: { 'openai-api-key': k.upstreamNext } }),
  },
  {
    name: 'injected',
    about: "injected by the webhook into a Deployment's Pod, native, its own Secret, Kubernetes 1.33",
    values: ['chart/ci/injector-values.yaml'],
    kube: '1.33',
    clientKey: false,
    injected: true,
    // The Secret the Pod names in openai-proxy.io/secret, in its own namespace.
    secrets: (k) => ({ 'team-a-openai': { 'openai-api-key': k.upstream } }),
    rotate: (k) => ({ secret: 'team-a-openai', files: { 'openai-api-key': k.upstreamNext } }),
  },
  {
    name: 'injected-fsgroup',
    about: "injected into a Pod with an fsGroup of its own (2000): the Secret's files 0440, root:2000",
    values: ['chart/ci/injector-values.yaml'],
    kube: '1.33',
    clientKey: false,
    injected: true,
    appPodSecurityContext: { fsGroup: 2000 },
    secrets: (k) => ({ 'team-a-openai': { 'openai-api-key': k.upstream } }),
    rotate: (k) => ({ secret: 'team-a-openai', files: { 'openai-api-key': k.upstreamNext } }),
  },
];
