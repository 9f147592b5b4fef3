import t from 'tap';
import { findCycle, folderOf, importsOf, readmeLayers, sourceFiles } from './imports';

const files = sourceFiles();
const imports = new Map(files.map((f) => [f, new Set(importsOf(f))]));
const layers = readmeLayers();
const layerOf = new Map(layers.map((row) => [row.folder, row.layer]));

t.test('the README names a layer for every folder of src/, and no folder that is not there', async (t) => {
  t.ok(layers.length > 0, 'the code layout table has rows');
  const folders = new Set(files.map(folderOf));
  for (const folder of folders) t.ok(layerOf.has(folder), `src/${folder === '.' ? '' : `${folder}/`} has a row in the README's code layout`);
  for (const row of layers) t.ok(folders.has(row.folder), `the README's row for ${row.folder} names a folder that exists`);
});

t.test('every import resolves to a file of src/', async (t) => {
  for (const [file, targets] of imports) for (const target of targets) t.ok(imports.has(target), `${file} imports ${target}, which exists`);
});

t.test('no import runs up the layers or across them', async (t) => {
  const wrong: string[] = [];
  for (const [file, targets] of imports) {
    const from = folderOf(file);
    for (const target of targets) {
      const to = folderOf(target);
      if (from === to) continue;
      const [a, b] = [layerOf.get(from), layerOf.get(to)];
      if (a === undefined || b === undefined || b >= a) wrong.push(`src/${file} imports src/${target} (layer ${a} -> layer ${b})`);
    }
  }
  t.same(wrong, [], 'each folder imports only folders of lower layers');
});

t.test('no cycle between files, type-only imports included', async (t) => {
  const cycle = findCycle(files, imports);
  t.equal(cycle?.join(' -> '), undefined, 'no file imports itself through others');
});

t.test('no cycle between folders', async (t) => {
  const edges = new Map<string, Set<string>>();
  for (const [file, targets] of imports) {
    for (const target of targets) {
      const [from, to] = [folderOf(file), folderOf(target)];
      if (from !== to) edges.set(from, (edges.get(from) ?? new Set()).add(to));
    }
  }
  const cycle = findCycle(new Set(files.map(folderOf)), edges);
  t.equal(cycle?.join(' -> '), undefined, 'no folder imports itself through others');
});

t.test('the cycle finder finds a cycle and names it', async (t) => {
  const edges = new Map([
    ['a', new Set(['b'])],
    ['b', new Set(['c'])],
    ['c', new Set(['a'])],
    ['d', new Set(['a'])],
  ]);
  t.same(findCycle(['d', 'a', 'b', 'c'], edges), ['a', 'b', 'c', 'a']);
  t.equal(findCycle(['a', 'b'], new Map([['a', new Set(['b'])]])), undefined);
});
