// `make image-check` builds the image and runs it; these are its promises that can be read off the text, so
// `make test` holds them without a Docker engine: the build installs no devDependency but the compiler and
// Node's types, its npm steps can be handed a CA, the runtime image runs `node dist/main.js` as the numeric UID
// the chart expects, the comment tags what the chart runs, and the build context never receives .env, keys or
// node_modules. compose.yaml: compose-file.test.ts.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { podSpec, proxyContainer, render } from './helm';

const dockerfile = readFileSync('Dockerfile', 'utf8');
const finalStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));

t.test('Dockerfile', async (t) => {
  t.match(dockerfile, /^ARG NODE_IMAGE=node:\d+-/m, 'an official Node image');
  const npmSteps = dockerfile.split(/\nRUN /).filter((step) => /\bnpm (ci|install)\b/.test(step));
  t.ok(npmSteps.length > 0 && npmSteps.every((step) => step.startsWith('--mount=type=secret,id=npm_ca')), 'every npm step can be handed a CA');
  t.match(dockerfile, /npm ci --omit=dev/, 'production dependencies');
  t.notMatch(dockerfile, /npm ci(?! --omit=dev)/, 'and no install of every devDependency');
  t.match(dockerfile, /"typescript@\$\(locked typescript\)"/, 'the compiler at its lockfile version');
  t.match(finalStage, /^USER (\d+):(\d+)$/m, 'numeric non-root user');
  t.match(finalStage, /^EXPOSE 18443 9090$/m);
  t.match(finalStage, /^CMD \["node", "dist\/main.js"\]$/m);
  t.notMatch(finalStage, /COPY (?:--from=build )?\/app\/node_modules|COPY \. /, 'no dev dependencies or sources copied in');
  const uid = Number(/^USER (\d+)/m.exec(finalStage)![1]);
  const chartUid = proxyContainer(podSpec(render({ values: ['chart/ci/service-values.yaml'] }))).securityContext.runAsUser;
  t.equal(uid, chartUid, "the chart's runAsUser is the image's user");
  const appVersion = /^appVersion: "(.*)"$/m.exec(readFileSync('chart/Chart.yaml', 'utf8'))![1];
  t.match(dockerfile, new RegExp(`docker build -t openai-proxy:${appVersion.replace(/\./g, '\\.')} \\.`), "the comment's tag is the chart's default image");
});

t.test('.dockerignore keeps secrets and local builds out of the context', async (t) => {
  const ignored = readFileSync('.dockerignore', 'utf8')
    .split('\n')
    .map((l) => l.trim());
  for (const entry of ['.env', 'node_modules', 'dist', '.git', 'secrets']) t.ok(ignored.includes(entry), entry);
});
