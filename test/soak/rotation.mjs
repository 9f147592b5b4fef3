// A client key rotated mid-soak the way an operator does it with a Kubernetes Secret: the key file gets the
// old and the new key (one per line); once the proxy has reloaded it, clients move to the new key over a few
// seconds; once no request with the old key is still open, the file gets only the new key. A request that used
// a key the file held at that moment must never get a 401.
import { existsSync, lstatSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exchange } from './traffic.mjs';

/** The proxy polls key files every 2 s and promises rotation within 10 s (CONTRACT.md 2). */
const RELOAD_LIMIT_MS = 10_000;

export class Rotation {
  /** `dir` is the Secret-like directory holding `proxy-api-key`; keys.rotatedOld / rotatedNew are the two keys. */
  constructor(dir, keys, cfg, proxy, random, tally) {
    this.dir = dir;
    this.tally = tally;
    this.keys = keys;
    this.proxy = proxy;
    this.random = random;
    this.startAfterMs = cfg.seconds * 250;
    /** From "both keys in effect" to writing the new key alone; clients move over in its first half. */
    this.overlapMs = Math.max(6_000, cfg.seconds * 200);
    this.phase = 'old';
    this.switchAt = new Map();
    this.oldKeyOpen = 0;
    this.sent = { beforeOverlap: 0, overlapOld: 0, overlapNew: 0, after: 0 };
    /** 401s answered to a request whose key was valid when it was sent, by key generation. */
    this.refusedValid = { old: 0, new: 0, static: 0 };
    this.timings = {};
    this.probes = {};
    this.problems = [];
  }

  /** The key worker `id` sends now, and a release to call when that request is over. */
  keyFor(id) {
    const overlap = this.phase === 'overlap';
    if (this.phase === 'new' || (overlap && performance.now() >= this.switchTimeOf(id))) {
      this.sent[overlap ? 'overlapNew' : 'after']++;
      return { key: this.keys.rotatedNew, tag: 'new', release: () => {} };
    }
    this.sent[overlap ? 'overlapOld' : 'beforeOverlap']++;
    this.oldKeyOpen++;
    return { key: this.keys.rotatedOld, tag: 'old', release: () => this.oldKeyOpen-- };
  }

  switchTimeOf(id) {
    if (!this.switchAt.has(id)) this.switchAt.set(id, this.overlapStart + this.random() * (this.overlapMs / 2));
    return this.switchAt.get(id);
  }

  async run(target) {
    await sleep(this.startAfterMs);
    this.timings.overlapInEffectMs = await this.rewrite(`${this.keys.rotatedOld}\n${this.keys.rotatedNew}\n`, 'v2', 'old and new key');
    this.overlapStart = performance.now();
    this.phase = 'overlap';
    await sleep(this.overlapMs);
    const waitedFrom = performance.now();
    while (this.oldKeyOpen > 0 && performance.now() - waitedFrom < 30_000) await sleep(20);
    if (this.oldKeyOpen > 0) this.problems.push(`${this.oldKeyOpen} requests with the old key still open after 30 s`);
    this.phase = 'new';
    this.timings.overlapMs = Math.round(performance.now() - this.overlapStart);
    this.timings.removedInEffectMs = await this.rewrite(`${this.keys.rotatedNew}\n`, 'v3', 'new key only');
    this.probes.oldKey = await this.probe(target, this.keys.rotatedOld, 401);
    this.probes.newKey = await this.probe(target, this.keys.rotatedNew, 200);
  }

  /** Swaps the Secret directory's contents and waits for the proxy's reload; returns how long that took. */
  async rewrite(content, version, what) {
    const from = this.proxy.events.length;
    const start = performance.now();
    writeSecretDir(this.dir, { 'proxy-api-key': content }, version);
    try {
      await this.proxy.waitForEvent((e) => e.event === 'config_reload' && e.result === 'success', from, RELOAD_LIMIT_MS);
    } catch {
      this.problems.push(`the key file with the ${what} was not reloaded within ${RELOAD_LIMIT_MS / 1000} s`);
    }
    return Math.round(performance.now() - start);
  }

  /** One request with `key`, tallied as a `rotationProbe` like any other; resolves to its status. */
  async probe(target, key, want) {
    const r = await exchange(target, { method: 'GET', path: '/v1/models', headers: { 'x-api-key': key } });
    const outcome = r.status ? String(r.status) : 'network-error';
    this.tally.add('rotationProbe', outcome, outcome === String(want) ? undefined : `expected ${want}, got ${r.error ?? outcome}`);
    return r.status ?? r.error;
  }

  /** Counts a 401 for a request that sent a valid key (`tag` old, new or static). */
  refused(tag) {
    this.refusedValid[tag]++;
  }

  /** [name, ok, detail] for each rotation check. */
  checks() {
    const lost = this.refusedValid.old + this.refusedValid.new + this.refusedValid.static;
    return [
      ['rotation: both reloads in effect within 10 s', this.problems.length === 0, this.problems.join('; ')],
      ['rotation: no request with a valid key refused', lost === 0, JSON.stringify(this.refusedValid)],
      ['rotation: clients used both keys during the overlap', this.sent.overlapOld > 0 && this.sent.overlapNew > 0, JSON.stringify(this.sent)],
      ['rotation: old key refused, new key accepted afterwards', this.probes.oldKey === 401 && this.probes.newKey === 200, JSON.stringify(this.probes)],
    ];
  }

  report() {
    return { ...this.timings, requests: this.sent, refusedValid: this.refusedValid, probes: this.probes, problems: this.problems };
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Writes `files` the way the kubelet updates a mounted Secret (as test/helpers/tmp.ts does for the tests):
 * real files in `..<version>/`, `..data` a symlink to it swapped atomically, one symlink per name into `..data`.
 */
export function writeSecretDir(dir, files, version) {
  const versionDir = join(dir, `..${version}`);
  mkdirSync(versionDir, { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(join(versionDir, name), content, { mode: 0o600 });
  const staging = join(dir, '..data_tmp');
  rmSync(staging, { force: true });
  symlinkSync(`..${version}`, staging);
  renameSync(staging, join(dir, '..data'));
  for (const name of Object.keys(files)) {
    const link = join(dir, name);
    if (!existsSync(link) && !isSymlink(link)) symlinkSync(join('..data', name), link);
  }
}

function isSymlink(path) {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}
