# The openai-proxy image. Tag it with the chart's appVersion, which is the tag the chart runs by default:
#   docker build -t openai-proxy:0.1.0 .
# Behind a TLS-intercepting proxy, hand its CA to the build's npm as a BuildKit secret (never stored in a layer):
#   docker build --secret id=npm_ca,src=/path/to/corporate-ca.pem -t openai-proxy:0.1.0 .
# Two stages: the runtime image holds only dist/ and the production dependencies (yaml, prom-client).
ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /build/app
COPY package.json package-lock.json ./
# Production dependencies into ./node_modules (what the runtime image copies), and only the compiler and Node's
# types, at the lockfile's versions, into /build/node_modules, which tsc finds by walking up: the test tools among
# the devDependencies are never downloaded.
RUN --mount=type=secret,id=npm_ca \
    if [ -s /run/secrets/npm_ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/npm_ca; fi \
    && npm ci --omit=dev --no-audit --no-fund \
    && locked() { node -p "require('./package-lock.json').packages['node_modules/$1'].version"; } \
    && npm install --prefix /build --no-save --no-package-lock --no-audit --no-fund \
         "typescript@$(locked typescript)" "@types/node@$(locked @types/node)" "undici-types@$(locked undici-types)"
COPY tsconfig.json ./
COPY src ./src
RUN /build/node_modules/.bin/tsc -p tsconfig.json

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY package.json ./
COPY --from=build /build/app/node_modules ./node_modules
COPY --from=build /build/app/dist ./dist
# Numeric, so Kubernetes' runAsNonRoot can verify it without reading /etc/passwd. The proxy's own UID and GID
# (its port), not the base image's `node` (1000), which app images built on it run as too: no app process
# beside the proxy (a shared process namespace, a host's other containers) runs as its user. The chart's
# proxy.securityContext says the same.
USER 18443:18443
EXPOSE 18443 9090
CMD ["node", "dist/main.js"]
