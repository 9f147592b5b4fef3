import { isRecord } from '../config/checks';
import type { PatchOperation } from './patch';
import type { KubeObject } from './template';

const API_VERSION = 'admission.k8s.io/v1';

/** The parts of an AdmissionReview v1 request the injector reads. */
export interface AdmissionRequest {
  uid: string;
  /** `request.kind.kind` and `request.resource.resource`: a Pod create is `Pod` on `pods`, no subresource. */
  kind: string;
  resource: string;
  subResource: string;
  operation: string;
  /** Set by the API server even on CREATE, where the Pod's own `metadata.namespace` is often empty. */
  namespace: string;
  dryRun: boolean;
  object: KubeObject | undefined;
}

/** A body that is not an AdmissionReview v1 request with a uid gets a 400: there is no uid to answer to. */
export function parseReview(body: Buffer): { request: AdmissionRequest } | { problem: string } {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch {
    return { problem: 'the body is not JSON' };
  }
  if (!isRecord(doc) || doc.kind !== 'AdmissionReview') return { problem: 'the body is not an AdmissionReview' };
  if (doc.apiVersion !== API_VERSION) return { problem: `only ${API_VERSION} AdmissionReviews are served, not ${JSON.stringify(doc.apiVersion)}` };
  const req = doc.request;
  if (!isRecord(req) || typeof req.uid !== 'string' || req.uid === '') return { problem: 'the AdmissionReview has no request.uid' };
  return {
    request: {
      uid: req.uid,
      kind: text(isRecord(req.kind) ? req.kind.kind : undefined),
      resource: text(isRecord(req.resource) ? req.resource.resource : undefined),
      subResource: text(req.subResource),
      operation: text(req.operation),
      namespace: text(req.namespace),
      dryRun: req.dryRun === true,
      object: isRecord(req.object) ? req.object : undefined,
    },
  };
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** Always allowed: the injector mutates or stays out of the way, it never denies. The uid is echoed as sent. */
export function reviewResponse(uid: string, patch: PatchOperation[] | undefined, warnings: string[]): string {
  const response: KubeObject = { uid, allowed: true };
  if (patch) {
    response.patchType = 'JSONPatch';
    response.patch = Buffer.from(JSON.stringify(patch)).toString('base64');
  }
  if (warnings.length > 0) response.warnings = warnings;
  return JSON.stringify({ apiVersion: API_VERSION, kind: 'AdmissionReview', response });
}
