# The openai-proxy image: `docker build -t openai-proxy .` (the chart's image.repository).
# Three stages so the runtime image holds only dist/ and the production dependencies (yaml, prom-client).
ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npx tsc -p tsconfig.json

FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY package.json ./
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Numeric, so Kubernetes' runAsNonRoot can verify it without reading /etc/passwd (1000 is the image's `node`).
USER 1000:1000
EXPOSE 18443 9090
CMD ["node", "dist/main.js"]
