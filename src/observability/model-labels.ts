/**
 * The `model` metric label, bounded: the models named in `models:` / `PROXY_MODELS`, and the first
 * MAX_SEEN_MODELS distinct names authenticated clients sent; any later name is `other`, a request without one
 * `none`. So the tokens-by-model panel works in the simplest setup without a list, and a client that invents
 * model names cannot grow the series without end.
 */
export const MAX_SEEN_MODELS = 50;

/** Longer than any real model id (fine-tuned ids run to about 60 characters). */
const MAX_MODEL_NAME = 128;
const PRINTABLE = /^[\x21-\x7e]+$/;

export class ModelLabels {
  private readonly seen = new Set<string>();

  /** `isKey`: a client that pastes a key into `model` must not turn it into a label. */
  constructor(
    private readonly configured: ReadonlySet<string>,
    private readonly isKey: (name: string) => boolean,
  ) {}

  label(model: string | undefined): string {
    if (model === undefined) return 'none';
    if (this.configured.has(model) || this.seen.has(model)) return model;
    if (this.seen.size >= MAX_SEEN_MODELS || model.length > MAX_MODEL_NAME || !PRINTABLE.test(model) || this.isKey(model)) return 'other';
    this.seen.add(model);
    return model;
  }
}

/** What a model name may look like in a log line: every real model id, fine-tuned ones included. */
const LOGGABLE_MODEL = /^[A-Za-z0-9._:/@-]{1,128}$/;

/**
 * The access log's `model`: the name as sent when it looks like one and is not a key, else `invalid`. A key
 * pasted into `model` must not land in the logs, nor a 60 KB "model" make a 60 KB line. `label` is the name's
 * metric label: a name that is its own label was already checked for being a key when it became one.
 */
export function loggedModel(model: string | undefined, label: string, isKey: (name: string) => boolean): string | undefined {
  if (model === undefined) return undefined;
  if (!LOGGABLE_MODEL.test(model)) return 'invalid';
  return label === model || !isKey(model) ? model : 'invalid';
}
