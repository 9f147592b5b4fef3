/**
 * The README's own examples, as data, so tests run exactly what a reader copies.
 *
 * Stable exports:
 *   README                      the README's text
 *   docFiles()                  README.md and docs/*.md, relative to the repository
 *   section(heading)            the text under `## heading` up to the next `## `
 *   codeBlocks(text, lang)      the bodies of the ```lang fences in `text`
 *   curlCommands(text)          every `curl` command of the sh blocks in `text` (backslash continuations joined)
 *   parseCurl(command, vars)    -> { url, method, headers, body }: the flags the README uses (-N, -H, -d),
 *                                  with "$NAME" expanded from `vars` (an unknown name throws)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/proxy';

export const README = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');

export function docFiles(): string[] {
  const docs = readdirSync(join(REPO_ROOT, 'docs')).filter((n) => n.endsWith('.md'));
  return ['README.md', ...docs.map((n) => `docs/${n}`)];
}

export function section(heading: string, text = README): string {
  const start = text.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`README has no section "${heading}"`);
  const end = text.indexOf('\n## ', start + 4);
  return text.slice(start, end < 0 ? undefined : end);
}

export function codeBlocks(text: string, lang: string): string[] {
  return [...text.matchAll(new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``, 'g'))].map((m) => m[1]!);
}

export function curlCommands(text: string): string[] {
  return codeBlocks(text, 'sh')
    .flatMap((block) => block.replace(/\\\n\s*/g, ' ').split('\n'))
    .filter((line) => line.trim().startsWith('curl '));
}

export interface CurlRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
}

/** Splits a shell command line into words: single and double quotes, "$NAME" expanded in double quotes and bare. */
function words(command: string, vars: Record<string, string>): string[] {
  const expand = (text: string) =>
    text.replace(/\$\{?([A-Z_][A-Z0-9_]*)\}?/g, (_, name: string) => {
      if (!(name in vars)) throw new Error(`the README's command uses $${name}, which the test does not set`);
      return vars[name]!;
    });
  const out: string[] = [];
  for (const m of command.matchAll(/'([^']*)'|"((?:[^"\\]|\\.)*)"|(\S+)/g)) {
    out.push(m[1] !== undefined ? m[1] : expand(m[2] ?? m[3]!));
  }
  return out;
}

export function parseCurl(command: string, vars: Record<string, string> = {}): CurlRequest {
  const [curl, ...args] = words(command.replace(/\s+#.*$/, ''), vars);
  if (curl !== 'curl') throw new Error(`not a curl command: ${command}`);
  const request: CurlRequest = { url: '', method: 'GET', headers: {} };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '-N') continue;
    if (arg === '-H') {
      const [name, ...value] = args[++i]!.split(':');
      request.headers[name!.trim().toLowerCase()] = value.join(':').trim();
    } else if (arg === '-d') {
      request.body = args[++i];
      request.method = 'POST';
    } else if (!arg.startsWith('-') && !request.url) {
      request.url = arg;
    } else {
      throw new Error(`curl flag ${arg} is not understood by this test`);
    }
  }
  return request;
}
