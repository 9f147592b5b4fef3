/**
 * Temporary directories for key files and config files, removed in t.teardown.
 *
 * Stable exports:
 *   tempDir(t)                          -> absolute path of a fresh directory
 *   writeSecretDir(dir, files, version, mode?) -> writes files the way Kubernetes mounts a Secret: the real
 *                                          files in `..<version>/`, a `..data` symlink to it, and one symlink
 *                                          per name pointing into `..data/`; calling it again with a new
 *                                          version swaps `..data` atomically (rename over the symlink), as the
 *                                          kubelet does; files get `mode` (default 0600: only this user)
 *                                          and, given `owner` (root only), that owner, as the kubelet
 *                                          gives a projected token the Pod's user
 */
import { chmodSync, chownSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync, existsSync, lstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function tempDir(t: { teardown(fn: () => unknown): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'openai-proxy-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface FileOwner {
  uid: number;
  gid: number;
}

export function writeSecretDir(dir: string, files: Record<string, string>, version: string, mode = 0o600, owner?: FileOwner): void {
  const versionDir = join(dir, `..${version}`);
  mkdirSync(versionDir, { recursive: true, mode: 0o755 });
  for (const [name, content] of Object.entries(files)) {
    writeFileSync(join(versionDir, name), content, { mode });
    chmodSync(join(versionDir, name), mode); // writeFileSync's mode is filtered by the umask
    if (owner) chownSync(join(versionDir, name), owner.uid, owner.gid);
  }
  const staging = join(dir, '..data_tmp');
  rmSync(staging, { force: true });
  symlinkSync(`..${version}`, staging);
  renameSync(staging, join(dir, '..data'));
  for (const name of Object.keys(files)) {
    const link = join(dir, name);
    if (!existsSync(link) && !isSymlink(link)) symlinkSync(join('..data', name), link);
  }
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}
