/**
 * A fake Kubernetes API server over HTTPS (the test CA's localhost certificate), enough for
 * `helm template --dry-run=server`: the version, discovery of the kinds the chart renders, and GET of the
 * objects it holds (404 for the rest). It lets Helm's `lookup` see an earlier install, as on a `helm upgrade`.
 *
 *   startFakeKubeApi(t, objects) -> { url, requests }   objects: K8sObject[] served at their API paths
 *   helmArgsFor(url)             the flags that point helm at it (token auth, the test CA, no OpenAPI fetch)
 */
import https from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { CA_PEM, REPO_ROOT } from '../helpers/proxy';
import type { K8sObject } from './helm';

const TLS = join(REPO_ROOT, 'test', 'fixtures', 'tls');

/** group/version -> [resource, kind, namespaced] */
const KINDS: Record<string, Array<[string, string, boolean]>> = {
  v1: [
    ['secrets', 'Secret', true],
    ['configmaps', 'ConfigMap', true],
    ['services', 'Service', true],
    ['serviceaccounts', 'ServiceAccount', true],
    ['pods', 'Pod', true],
  ],
  'apps/v1': [['deployments', 'Deployment', true]],
  'policy/v1': [['poddisruptionbudgets', 'PodDisruptionBudget', true]],
  'admissionregistration.k8s.io/v1': [['mutatingwebhookconfigurations', 'MutatingWebhookConfiguration', false]],
};

function objectPath(obj: K8sObject): string {
  const gv: string = obj.apiVersion;
  const [resource, , namespaced] = KINDS[gv]!.find(([, kind]) => kind === obj.kind)!;
  const base = gv === 'v1' ? '/api/v1' : `/apis/${gv}`;
  return namespaced ? `${base}/namespaces/${obj.metadata.namespace}/${resource}/${obj.metadata.name}` : `${base}/${resource}/${obj.metadata.name}`;
}

function discovery(path: string): unknown {
  if (path === '/version') return { major: '1', minor: '33', gitVersion: 'v1.33.0' };
  if (path === '/api') return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }] };
  if (path === '/apis') {
    const groups = Object.keys(KINDS)
      .filter((gv) => gv !== 'v1')
      .map((gv) => {
        const [name, version] = gv.split('/');
        return { name, versions: [{ groupVersion: gv, version }], preferredVersion: { groupVersion: gv, version } };
      });
    return { kind: 'APIGroupList', apiVersion: 'v1', groups };
  }
  const gv = path === '/api/v1' ? 'v1' : path.replace(/^\/apis\//, '');
  const kinds = KINDS[gv];
  if (!kinds) return undefined;
  const resources = kinds.map(([name, kind, namespaced]) => ({
    name,
    singularName: kind.toLowerCase(),
    namespaced,
    kind,
    verbs: ['get', 'list', 'create', 'update'],
  }));
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gv, resources };
}

export async function startFakeKubeApi(t: { teardown(fn: () => unknown): void }, objects: K8sObject[]): Promise<{ url: string; requests: string[] }> {
  const byPath = new Map(objects.map((o) => [objectPath(o), o]));
  const requests: string[] = [];
  const server = https.createServer({ cert: readFileSync(join(TLS, 'server.pem')), key: readFileSync(join(TLS, 'server-key.pem')) }, (req, res) => {
    const path = (req.url ?? '').split('?', 1)[0]!;
    requests.push(`${req.method} ${path}`);
    const body = discovery(path) ?? byPath.get(path);
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body ?? { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: `${path} not found` }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

export function helmArgsFor(url: string): string[] {
  return ['--dry-run=server', '--kube-apiserver', url, '--kube-ca-file', CA_PEM, '--kube-token', 'test', '--disable-openapi-validation'];
}
