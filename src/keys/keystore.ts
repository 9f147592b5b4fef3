import type { Config, Env, Problem } from '../config/types';
import { buildKeyTable, type KeyTable } from './key-table';
import { CredentialSet } from '../credentials/credential-set';
import type { Logger } from '../observability/log';
import { readAll, readAllSync, referencedFiles } from './secrets';

/** Well inside the contract's 10 s: a rotated Secret is in effect within about one poll. */
export const KEY_FILE_POLL_MS = 2_000;

export type ReloadResult = 'success' | 'failure';

/**
 * The live key table. Secret files are re-read on a timer; a change rebuilds the table as a whole, and a
 * file that fails to read (or a rebuild that fails) keeps the last good table and is logged once.
 */
export class KeyStore {
  table: KeyTable;
  private files: Map<string, string>;
  private readonly paths: string[];
  private readonly reported = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly config: Config,
    private readonly env: Env,
    table: KeyTable,
    files: Map<string, string>,
    /** Keyless upstream credentials: they outlive every rebuild of the table, which only points at them. */
    readonly credentials: CredentialSet,
  ) {
    this.table = table;
    this.files = files;
    this.paths = referencedFiles(config);
  }

  /** Reads every secret once; problems name the setting that points at the unreadable or empty secret. */
  static load(config: Config, env: Env): { store?: KeyStore; problems: Problem[] } {
    const { contents, errors } = readAllSync(referencedFiles(config));
    const problems: Problem[] = [...errors].map(([path, code]) => ({ setting: settingOfFile(config, path), message: `cannot read ${path}: ${code}` }));
    const credentials = CredentialSet.load(config);
    problems.push(...credentials.problems);
    const built = buildKeyTable(config, env, contents, credentials.set);
    problems.push(...built.problems.filter((p) => !problems.some((q) => q.setting === p.setting)));
    if (problems.length > 0 || !built.table) return { problems };
    return { store: new KeyStore(config, env, built.table, contents, credentials.set), problems: [] };
  }

  watch(log: Logger, onReload: (result: ReloadResult) => void, intervalMs = KEY_FILE_POLL_MS): void {
    if (this.paths.length === 0) return;
    let polling = false;
    this.timer = setInterval(() => {
      if (polling) return;
      polling = true;
      this.poll(log, onReload).finally(() => (polling = false));
    }, intervalMs);
    this.timer.unref();
  }

  close(): void {
    clearInterval(this.timer);
    this.credentials.close();
  }

  async poll(log: Logger, onReload: (result: ReloadResult) => void): Promise<void> {
    const { contents, errors } = await readAll(this.paths);
    for (const [path, code] of errors) {
      if (this.reported.get(path) === code) continue;
      this.reported.set(path, code);
      log.error('config_reload', { result: 'failure', file: path, reason: `cannot read: ${code}; keeping the last good keys` });
      onReload('failure');
    }
    const next = new Map(this.files);
    let changed = false;
    for (const [path, text] of contents) {
      if (this.reported.delete(path)) log.info('config_reload_recovered', { file: path });
      if (next.get(path) !== text) {
        next.set(path, text);
        changed = true;
      }
    }
    if (!changed) return;
    this.files = next;
    const built = buildKeyTable(this.config, this.env, next, this.credentials);
    if (!built.table) {
      log.error('config_reload', { result: 'failure', problems: built.problems, reason: 'keeping the last good keys' });
      onReload('failure');
      return;
    }
    this.table = built.table;
    log.info('config_reload', { result: 'success', clients: built.table.byDigest.size || undefined });
    onReload('success');
  }
}

function settingOfFile(config: Config, path: string): string {
  for (const upstream of [config.upstream, ...config.fallbacks]) {
    if (upstream.apiKey?.kind === 'file' && upstream.apiKey.path === path) return upstream.apiKeySetting;
  }
  for (const client of config.clients) {
    const prefix = client.setting.startsWith('clients[') ? `${client.setting}.` : '';
    if (client.key?.kind === 'file' && client.key.path === path) return prefix ? `${prefix}key` : client.setting;
    if (client.upstreamKey?.kind === 'file' && client.upstreamKey.path === path) return `${prefix}upstreamKey`;
    for (const [name, ref] of Object.entries(client.fallbackKeys ?? {})) if (ref.kind === 'file' && ref.path === path) return `${prefix}fallbackKeys.${name}`;
  }
  return 'PROXY_CONFIG';
}
