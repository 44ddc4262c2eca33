# syntax=docker/dockerfile:1.7
# Fastify Live Components: multi-stage build, production dependencies only, runs as non-root.
# Build:  docker build -t fastify-live-components .
# Run:    docker run -p 3000:3000 fastify-live-components            (embedded database, in-process broker)
#         docker run -p 3000:3000 -e DATABASE_URL=postgres://… -e REDIS_URL=redis://… fastify-live-components
# Node 24: the current LTS (Node 20 reached end of life on 2026-04-30); CI runs the suite on it.
ARG NODE_IMAGE=node:24-bookworm-slim

# 1. All dependencies (the postinstall script generates the Prisma client from prisma/schema.prisma).
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json prisma.config.ts ./
COPY prisma ./prisma
RUN npm ci --no-audit --no-fund

# 2. Compile TypeScript (including the generated Prisma client) to dist/.
FROM deps AS build
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY plugins ./plugins
COPY components ./components
COPY scripts/write-dist-package.mjs ./scripts/
RUN npm run build

# 3. Production dependencies only; no install scripts (the client is already compiled in dist/).
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# 4. Runtime image.
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/app/data
WORKDIR /app
COPY --from=prod-deps --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
# Templates, CSS and JS are read from the source folders at run time; migrations are applied on
# start. The TypeScript sources (with the generated Prisma client) let the npm scripts run in the
# container through tsx: `npm run db:seed`, `npm run db:migrate`, `npm run notifications:random`.
COPY --from=build --chown=root:root /app/src ./src
COPY --chown=root:root package.json prisma.config.ts tsconfig.json ./
COPY --chown=root:root plugins ./plugins
COPY --chown=root:root components ./components
COPY --chown=root:root prisma ./prisma
# The app's files stay root-owned and read-only for the app user; only the data folder is writable.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
VOLUME ["/app/data"]
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node as PID 1 gets SIGTERM directly; server.ts shuts down gracefully.
STOPSIGNAL SIGTERM
CMD ["node", "dist/src/server.js"]
