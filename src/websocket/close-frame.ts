import { randomFillSync } from 'node:crypto';

/** A control frame's payload is at most 125 bytes: two for the code, the rest for the reason. */
const MAX_REASON = 123;

/**
 * A close frame with `code` and `reason`. Frames a client sends must be masked (RFC 6455 section 5.3), so the
 * one the proxy sends to the upstream is; the one to the client must not be. A reason too long for a control
 * frame is cut at a character boundary.
 */
export function encodeCloseFrame(code: number, reason: string, masked: boolean): Buffer {
  const text = Buffer.from(reason, 'utf8');
  const reasonLength = utf8Prefix(text, MAX_REASON);
  const payloadLength = 2 + reasonLength;
  const keyLength = masked ? 4 : 0;
  const frame = Buffer.allocUnsafe(2 + keyLength + payloadLength);
  frame[0] = 0x88;
  frame[1] = (masked ? 0x80 : 0) | payloadLength;
  const payloadAt = 2 + keyLength;
  frame.writeUInt16BE(code, payloadAt);
  text.copy(frame, payloadAt + 2, 0, reasonLength);
  if (masked) {
    randomFillSync(frame, 2, 4);
    for (let i = 0; i < payloadLength; i++) frame[payloadAt + i] ^= frame[2 + (i & 3)];
  }
  return frame;
}

/** The longest prefix of `text` of at most `max` bytes that does not split a UTF-8 sequence. */
function utf8Prefix(text: Buffer, max: number): number {
  if (text.length <= max) return text.length;
  let end = max;
  while (end > 0 && (text[end] & 0xc0) === 0x80) end--;
  return end;
}
