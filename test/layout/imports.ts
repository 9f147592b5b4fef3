/**
 * The import graph of `src/`, read from the sources with TypeScript's own pre-processor (so `import type`,
 * re-exports, `require()` and `import()` all count), and the layer table the README's code layout gives.
 *
 * Stable exports:
 *   SRC                         absolute path of src/
 *   sourceFiles()               every .ts file under src/, relative to src/ (`proxy/handler.ts`)
 *   importsOf(file)             the src/ files `file` imports, relative to src/ (node: and npm imports left out;
 *                               a folder's index.ts for a folder imported whole)
 *   folderOf(file)              `proxy` for `proxy/handler.ts`, `.` for a file at the top (`main.ts`)
 *   readmeLayers()              the README's code-layout table: [{ layer, folder }], bottom to top
 *   findCycle(nodes, edges)     one cycle as a list of nodes, or undefined
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import ts from 'typescript';
import { REPO_ROOT } from '../helpers/proxy';

export const SRC = join(REPO_ROOT, 'src');

export function sourceFiles(dir = SRC): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [relative(SRC, path)] : [];
  });
}

export function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(join(SRC, file), 'utf8'), true, true);
  return info.importedFiles
    .map((f) => f.fileName)
    .filter((spec) => spec.startsWith('.'))
    .map((spec) => resolveModule(posix.normalize(posix.join(dirname(file), spec))));
}

/** `limits` is `limits.ts`, or the folder's `limits/index.ts` (a folder imported whole, as Node resolves it). */
function resolveModule(path: string): string {
  const index = `${path}/index.ts`;
  return !existsSync(join(SRC, `${path}.ts`)) && existsSync(join(SRC, index)) ? index : `${path}.ts`;
}

export function folderOf(file: string): string {
  const slash = file.indexOf('/');
  return slash === -1 ? '.' : file.slice(0, slash);
}

export interface LayerRow {
  layer: number;
  folder: string;
}

/** Rows of the `| layer | folder | ... |` table under the README's `## Code layout`; `main.ts` and friends are `.`. */
export function readmeLayers(): LayerRow[] {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Code layout\n');
  if (start === -1) throw new Error('README.md has no "## Code layout" section');
  const end = readme.indexOf('\n## ', start + 1);
  const rows: LayerRow[] = [];
  for (const line of readme.slice(start, end === -1 ? undefined : end).split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 4 || !/^\d+$/.test(cells[1]!)) continue;
    const layer = Number(cells[1]);
    for (const name of cells[2]!.matchAll(/`([^`]+)`/g)) rows.push({ layer, folder: name[1]!.endsWith('/') ? name[1]!.slice(0, -1) : '.' });
  }
  return rows;
}

/** Depth-first search for a cycle; returns its nodes in order (the first repeated at the end). */
export function findCycle(nodes: Iterable<string>, edges: ReadonlyMap<string, ReadonlySet<string>>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (node: string): string[] | undefined => {
    state.set(node, 'open');
    path.push(node);
    for (const next of edges.get(node) ?? []) {
      if (state.get(next) === 'open') return [...path.slice(path.indexOf(next)), next];
      if (!state.has(next)) {
        const found = visit(next);
        if (found) return found;
      }
    }
    path.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of nodes) {
    if (state.has(node)) continue;
    const found = visit(node);
    if (found) return found;
  }
  return undefined;
}
