import { isRecord } from '../config/checks';
import type { Logger } from '../observability/log';
import { planInjection, type Plan } from './plan';
import { parseReview, reviewResponse, type AdmissionRequest } from './review';
import type { SidecarTemplate } from './template';

/**
 * The API server sends at most 3 MiB (its request limit) as the Pod, plus the review around it; twice that
 * leaves room and still bounds what one connection can make the injector hold.
 */
export const MAX_REVIEW_BYTES = 6 * 1024 * 1024;

export type ReviewResult = Plan['result'] | 'invalid';

export interface ReviewAnswer {
  status: number;
  body: string;
  result: ReviewResult;
}

/** One AdmissionReview in, its answer out, and one log line. Whatever happens, a Pod is never denied. */
export function answerReview(body: Buffer, template: SidecarTemplate, log: Logger): ReviewAnswer {
  const parsed = parseReview(body);
  if ('problem' in parsed) {
    log.warn('admission_invalid', { reason: parsed.problem, bytes: body.length });
    return { status: 400, body: JSON.stringify({ error: parsed.problem }), result: 'invalid' };
  }
  const { request } = parsed;
  const plan = planFor(request, template);
  const fields = {
    uid: request.uid,
    namespace: request.namespace,
    ...podNames(request.object),
    dryRun: request.dryRun,
    result: plan.result,
    ...(plan.result === 'injected' ? { credential: plan.variant, secret: plan.secret } : { reason: plan.reason }),
  };
  // Asked for, and not given: whoever created the Pod hears why, and so does the injector's log, at warn.
  const notGiven = plan.result === 'failed' || (plan.result === 'skipped' && plan.warn === true);
  if (notGiven) log.warn('admission', fields);
  else log.info('admission', fields);
  const warnings = notGiven ? [`openai-proxy sidecar not injected: ${plan.reason}`] : [];
  const patch = plan.result === 'failed' ? undefined : plan.patch;
  return { status: 200, body: reviewResponse(request.uid, patch, warnings), result: plan.result };
}

function planFor(request: AdmissionRequest, template: SidecarTemplate): Plan {
  const podCreate = request.kind === 'Pod' && request.resource === 'pods' && request.subResource === '' && request.operation === 'CREATE';
  if (!podCreate)
    return { result: 'skipped', reason: `not a Pod CREATE (${request.operation} ${request.resource}${request.subResource ? `/${request.subResource}` : ''})` };
  if (!request.object) return { result: 'failed', reason: 'the review carries no Pod object' };
  try {
    return planInjection(request.object, template);
  } catch (err) {
    return { result: 'failed', reason: `the injector could not read this Pod: ${(err as Error).message}` };
  }
}

/** A Pod made by a controller has only a `generateName` at this point; its final name is given after admission. */
function podNames(pod: Record<string, unknown> | undefined): { pod: string | null; generateName?: string } {
  const metadata = pod && isRecord(pod.metadata) ? pod.metadata : {};
  const name = typeof metadata.name === 'string' && metadata.name !== '' ? metadata.name : null;
  return { pod: name, generateName: typeof metadata.generateName === 'string' ? metadata.generateName : undefined };
}
