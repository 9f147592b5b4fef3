// The patch builder on plain objects: JSON-pointer escaping (RFC 6901), and the order of the operations, which
// the API server applies one after the other: env additions address containers before the sidecar is inserted.
import t from 'tap';
import { applyPatch, type Operation } from 'fast-json-patch';
import { buildPatch, pointerSegment } from '../../src/inject/patch';
import type { SidecarVariant } from '../../src/inject/template';

const sidecar = (native: boolean): SidecarVariant => ({
  container: { name: 'openai-proxy', image: 'openai-proxy:0.1.0', ...(native ? { restartPolicy: 'Always' } : {}) },
  volumes: [{ name: 'openai-proxy-auth', secret: { secretName: 's' } }],
  annotations: {},
  native,
  ports: [9090, 18443],
  portNames: ['admin'],
});
const appEnv = [{ name: 'OPENAI_BASE_URL', value: 'http://127.0.0.1:18443/v1' }];

t.test('pointer segments escape ~ before /', async (t) => {
  t.equal(pointerSegment('openai-proxy.io/status'), 'openai-proxy.io~1status');
  t.equal(pointerSegment('a~b/c~1'), 'a~0b~1c~01', '~1 in a key is not read back as /');
  t.equal(pointerSegment('plain'), 'plain');
});

t.test('annotation keys with / and ~ land under their own names', async (t) => {
  const pod = { metadata: { annotations: { 'example.com/a~b': 'keep' } }, spec: { containers: [{ name: 'app' }] } };
  const ops = buildPatch(pod, sidecar(true), appEnv, { 'openai-proxy.io/status': 'injected', 'x~y/z': 'v' });
  t.same(
    ops.slice(0, 2).map((o) => o.path),
    ['/metadata/annotations/openai-proxy.io~1status', '/metadata/annotations/x~0y~1z'],
  );
  const after = applyPatch(structuredClone(pod), ops as Operation[], true, false).newDocument as any;
  t.same(after.metadata.annotations, { 'example.com/a~b': 'keep', 'openai-proxy.io/status': 'injected', 'x~y/z': 'v' });
});

t.test('env operations come before the sidecar moves any index', async (t) => {
  const pod = {
    metadata: {},
    spec: { initContainers: [{ name: 'shipper', restartPolicy: 'Always' }], containers: [{ name: 'a', env: [] }, { name: 'b' }], volumes: [] },
  };
  const ops = buildPatch(pod, sidecar(true), appEnv, { k: 'v' });
  t.same(
    ops.map((o) => o.path),
    ['/metadata/annotations', '/spec/initContainers/0/env', '/spec/containers/0/env/-', '/spec/containers/1/env', '/spec/initContainers/-', '/spec/volumes/-'],
  );
  const after = applyPatch(structuredClone(pod), ops as Operation[], true, false).newDocument as any;
  t.same(
    after.spec.initContainers.map((c: any) => [c.name, c.env?.length]),
    [
      ['shipper', 1],
      ['openai-proxy', undefined],
    ],
  );
});

t.test('a regular sidecar goes to the end of containers', async (t) => {
  const pod = { metadata: { annotations: {} }, spec: { containers: [{ name: 'a' }] } };
  const ops = buildPatch(pod, sidecar(false), appEnv, { k: 'v' });
  t.same(
    ops.map((o) => o.path),
    ['/metadata/annotations/k', '/spec/containers/0/env', '/spec/containers/-', '/spec/volumes'],
  );
});

t.test('a Pod without metadata gets it whole', async (t) => {
  const ops = buildPatch({ spec: { containers: [{ name: 'a' }] } }, sidecar(true), [], { k: 'v' });
  t.same(ops[0], { op: 'add', path: '/metadata', value: { annotations: { k: 'v' } } });
});
