// CHANGELOG.md says which image, chart and config format each entry applies to, with the versions the chart
// really carries, and promises to list every renamed setting, metric or label value; the README's Upgrading
// section points at it and names the change most likely to surprise (client billing headers no longer pass).
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from '../helpers/proxy';
import { section } from './readme';

const changelog = readFileSync(join(REPO_ROOT, 'CHANGELOG.md'), 'utf8');
const chart = parse(readFileSync(join(REPO_ROOT, 'chart', 'Chart.yaml'), 'utf8')) as { version: string; appVersion: string };

t.test('CHANGELOG.md', async (t) => {
  t.match(changelog, /every renamed\s+setting, metric or label value is listed here/i, 'the promise about renames');
  const unreleased = /^## \[Unreleased\]\n([\s\S]*?)(?=^## )/m.exec(changelog)?.[1] ?? '';
  t.ok(unreleased, 'an Unreleased section');
  t.match(unreleased, `Image ${chart.appVersion}, chart ${chart.version}, config format 1`, 'the versions of chart/Chart.yaml');
  for (const heading of ['Renamed', 'Changed', 'Added']) t.match(unreleased, new RegExp(`^### ${heading}$`, 'm'), `a ${heading} list`);
  for (const rename of ['`tokens`', '`upstreamUrl`', '`credential_dropped`', '`credential_refused`', '`"none"`'])
    t.match(unreleased, rename, `names ${rename}`);
});

t.test("the README's Upgrading section", async (t) => {
  const upgrading = section('Upgrading');
  t.match(upgrading, '](CHANGELOG.md)', 'points at the CHANGELOG');
  t.match(upgrading, /OpenAI-Organization[\s\S]*OpenAI-Project[\s\S]*passClientHeaders/, 'names the billing header default and how to restore it');
});
