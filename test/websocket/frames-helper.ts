/**
 * Stable exports:
 *   frame({ opcode, payload, fin?, rsv1?, mask? }) -> one RFC 6455 frame, length encoded in the shortest form
 *   compressMessages(texts, contextTakeover)        -> each text as permessage-deflate would send it (tail removed)
 *   feedSplit(scanner, bytes, cuts)                 -> feeds `bytes` to `scanner` cut at the given offsets
 *   collectingSink()                                -> a FrameSink that records headers and payload bytes
 *   readServerFrames(bytes, cuts, deflate?)         -> Promise<{ texts, unread }> what a ServerMessageReader made
 *                                                      of `bytes` fed cut at `cuts`, once it was idle
 *   DEFLATE                                         default permessage-deflate parameters
 */
import { constants, createDeflateRaw } from 'node:zlib';
import type { DeflateParams } from '../../src/websocket/extensions';
import { FrameScanner, type FrameSink } from '../../src/websocket/frames';
import { ServerMessageReader } from '../../src/websocket/messages';

export const DEFLATE: DeflateParams = { serverNoContextTakeover: false, serverMaxWindowBits: 15, clientNoContextTakeover: false, clientMaxWindowBits: 15 };

export interface FrameSpec {
  opcode: number;
  payload: Buffer | string;
  fin?: boolean;
  rsv1?: boolean;
  mask?: Buffer;
}

export function frame(spec: FrameSpec): Buffer {
  const payload = typeof spec.payload === 'string' ? Buffer.from(spec.payload) : spec.payload;
  const n = payload.length;
  const lengthBytes = n < 126 ? 0 : n < 65536 ? 2 : 8;
  const head = Buffer.alloc(2 + lengthBytes + (spec.mask ? 4 : 0));
  head[0] = (spec.fin === false ? 0 : 0x80) | (spec.rsv1 ? 0x40 : 0) | spec.opcode;
  head[1] = (spec.mask ? 0x80 : 0) | (lengthBytes === 0 ? n : lengthBytes === 2 ? 126 : 127);
  if (lengthBytes === 2) head.writeUInt16BE(n, 2);
  if (lengthBytes === 8) head.writeBigUInt64BE(BigInt(n), 2);
  if (!spec.mask) return Buffer.concat([head, payload]);
  spec.mask.copy(head, 2 + lengthBytes);
  const masked = Buffer.alloc(n);
  for (let i = 0; i < n; i++) masked[i] = payload[i]! ^ spec.mask[i & 3]!;
  return Buffer.concat([head, masked]);
}

/** Compresses like a permessage-deflate sender: one sync flush per message, the 00 00 ff ff tail removed. */
export async function compressMessages(texts: string[], contextTakeover: boolean): Promise<Buffer[]> {
  const out: Buffer[] = [];
  let deflate = createDeflateRaw();
  for (const text of texts) {
    if (!contextTakeover) deflate = createDeflateRaw();
    const chunks: Buffer[] = [];
    const onData = (chunk: Buffer) => chunks.push(chunk);
    deflate.on('data', onData);
    deflate.write(text);
    await new Promise<void>((resolve) => deflate.flush(constants.Z_SYNC_FLUSH, () => resolve()));
    deflate.off('data', onData);
    const all = Buffer.concat(chunks);
    out.push(all.subarray(0, all.length - 4));
  }
  deflate.close();
  return out;
}

export function feedSplit(scanner: FrameScanner, bytes: Buffer, cuts: number[]): void {
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    // A fresh Buffer per piece, as a socket would hand over.
    if (cut > from) scanner.scan(Buffer.from(bytes.subarray(from, cut)));
    from = cut;
  }
}

export interface Recorded {
  fin: boolean;
  rsv1: boolean;
  opcode: number;
  masked: boolean;
  length: number;
  payload: Buffer;
}

export function collectingSink(): FrameSink & { frames: Recorded[]; lost: string[] } {
  const frames: Recorded[] = [];
  const lost: string[] = [];
  let parts: Buffer[] = [];
  return {
    frames,
    lost,
    frameStart(f: FrameScanner) {
      parts = [];
      frames.push({ fin: f.fin, rsv1: f.rsv1, opcode: f.opcode, masked: f.masked, length: f.length, payload: Buffer.alloc(0) });
    },
    framePayload(chunk: Buffer, start: number, end: number) {
      parts.push(Buffer.from(chunk.subarray(start, end)));
    },
    frameEnd() {
      frames[frames.length - 1]!.payload = Buffer.concat(parts);
    },
    framingLost(reason: string) {
      lost.push(reason);
    },
  };
}

export async function readServerFrames(
  bytes: Buffer,
  cuts: number[],
  deflate?: DeflateParams,
): Promise<{ texts: string[]; unread: Array<[string, boolean]>; reader: ServerMessageReader }> {
  const texts: string[] = [];
  const unread: Array<[string, boolean]> = [];
  const reader = new ServerMessageReader(deflate, {
    onMessage: (text) => texts.push(text),
    onUnreadable: (reason, stopped) => unread.push([reason, stopped]),
  });
  feedSplit(new FrameScanner(reader), bytes, cuts);
  await new Promise<void>((resolve) => reader.whenIdle(resolve));
  reader.close();
  return { texts, unread, reader };
}
