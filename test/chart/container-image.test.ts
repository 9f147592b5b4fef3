// The image and compose file cannot be built here (no Docker engine), so their promises are checked as text:
// the runtime image runs `node dist/main.js` as the numeric UID the chart expects, exposes both ports, and
// never receives .env or node_modules from the build context; compose serves 18443 from .env.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { podSpec, proxyContainer, render } from './helm';

const dockerfile = readFileSync('Dockerfile', 'utf8');
const finalStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));

t.test('Dockerfile', async (t) => {
  t.match(dockerfile, /^ARG NODE_IMAGE=node:\d+-/m, 'an official Node image');
  t.match(dockerfile, /RUN npm ci --no-audit/, 'npm ci for the build');
  t.match(dockerfile, /RUN npm ci --omit=dev/, 'production dependencies only at runtime');
  t.match(finalStage, /^USER (\d+):(\d+)$/m, 'numeric non-root user');
  t.match(finalStage, /^EXPOSE 18443 9090$/m);
  t.match(finalStage, /^CMD \["node", "dist\/main.js"\]$/m);
  t.notMatch(finalStage, /COPY (?:--from=build )?\/app\/node_modules|COPY \. /, 'no dev dependencies or sources copied in');
  const uid = Number(/^USER (\d+)/m.exec(finalStage)![1]);
  const chartUid = proxyContainer(podSpec(render({ values: ['chart/ci/service-values.yaml'] }))).securityContext.runAsUser;
  t.equal(uid, chartUid, "the chart's runAsUser is the image's user");
});

t.test('.dockerignore keeps secrets and local builds out of the context', async (t) => {
  const ignored = readFileSync('.dockerignore', 'utf8').split('\n').map((l) => l.trim());
  for (const entry of ['.env', 'node_modules', 'dist', '.git']) t.ok(ignored.includes(entry), entry);
});

t.test('compose.yaml', async (t) => {
  const compose = parse(readFileSync('compose.yaml', 'utf8'));
  const service = compose.services['openai-proxy'];
  t.equal(service.build, '.');
  t.equal(service.env_file, '.env');
  t.ok(service.ports.includes('18443:18443'));
  t.equal(service.read_only, true);
});
