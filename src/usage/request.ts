/**
 * What a request says about itself, read on the side before it is sent: its `model`, whether it asks for a
 * stream, and (for a whole JSON body) the parsed object, so nothing parses the body twice.
 */

export interface RequestDescription {
  model?: string;
  stream: boolean;
  /** The body's JSON.parse result, when it was a whole JSON object. */
  json?: Record<string, unknown>;
}

const MODEL_FIELD = /"model"\s*:\s*"([^"\\]{1,200})"/;
const STREAM_TRUE = /"stream"\s*:\s*true/;
const FORM_MODEL = /name="model"\r\n(?:[^\r\n]*\r\n)*?\r\n([^\r\n]{1,200})\r\n/;
const FORM_STREAM = /name="stream"\r\n(?:[^\r\n]*\r\n)*?\r\ntrue\r\n/;
/** How far into a body that is not whole JSON the patterns look. */
const HEAD_BYTES = 64 * 1024;

/**
 * A whole JSON body is parsed; otherwise (the first chunk of a large body, a multipart form) a bounded pattern
 * match is the best effort.
 */
export function describeRequest(contentType: string | undefined, body: Buffer | undefined): RequestDescription {
  if (!body || body.length === 0) return { stream: false };
  const type = contentType ?? '';
  if (type.startsWith('application/json')) {
    const json = parseObject(body);
    if (json) return { model: typeof json.model === 'string' ? json.model : undefined, stream: json.stream === true, json };
  }
  const head = body.subarray(0, HEAD_BYTES).toString('latin1');
  if (type.startsWith('multipart/form-data')) return { model: FORM_MODEL.exec(head)?.[1], stream: FORM_STREAM.test(head) };
  return { model: MODEL_FIELD.exec(head)?.[1], stream: STREAM_TRUE.test(head) };
}

function parseObject(body: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
