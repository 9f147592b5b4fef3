// Every relative link of the README and the docs reaches a file of the repository, and every #anchor a
// heading (or an explicit anchor) there: maintainers' material moved from the README into docs/, and a link
// left pointing at a section that moved shows the reader nothing.
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { REPO_ROOT } from '../helpers/proxy';
import { docFiles } from './readme';

/** GitHub's anchor for a heading: lower case, punctuation but `-` and `_` dropped, spaces to `-`. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/`/g, '')
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

function anchorsOf(text: string): Set<string> {
  const outside = text.replace(/```[\s\S]*?```/g, '');
  const anchors = new Set([...outside.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1]!)));
  for (const m of outside.matchAll(/<a id="([^"]+)"><\/a>/g)) anchors.add(m[1]!);
  return anchors;
}

const files = [...docFiles(), 'CHANGELOG.md'];

for (const file of files) {
  t.test(file, async (t) => {
    const text = readFileSync(join(REPO_ROOT, file), 'utf8');
    const links = [...text.replace(/```[\s\S]*?```/g, '').matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((l) => !/^[a-z]+:/.test(l));
    if (links.length === 0) t.pass('no relative links');
    for (const link of links) {
      const [path, anchor] = link.split('#') as [string, string | undefined];
      const target = path ? normalize(join(dirname(file), path)) : file;
      if (!existsSync(join(REPO_ROOT, target))) {
        t.fail(`${link}: ${target} does not exist`);
        continue;
      }
      if (anchor === undefined) {
        t.pass(`${link}: ${target} exists`);
        continue;
      }
      const anchors = anchorsOf(readFileSync(join(REPO_ROOT, target), 'utf8'));
      t.ok(anchors.has(anchor), `${link}: ${target} has #${anchor}`);
    }
  });
}
