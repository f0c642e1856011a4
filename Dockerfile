# syntax=docker/dockerfile:1
#
# One image for every Tasjil process (web, worker, sandboxes, migrate); docker-compose.yml picks
# the command. It runs compiled JavaScript with `node` (no tsx, no TypeScript at run time):
# `npm run build` = tsc (tsconfig.build.json) → dist/, the views, templates, catalogues and data
# files copied next to the compiled code, and the workflow code bundled once into
# dist/workflow-bundle.js, which the worker loads in production instead of bundling at each start.
#
# Node.js 24 (LTS, supported until April 2028): Node 20 reached end of life in April 2026 and
# Node 22 leaves maintenance in April 2027, before the end of a 2027 campaign. The Temporal SDK 1.24
# (node >= 20.3), MikroORM 6.6 (>= 18.12), sharp 0.35 (>= 20.9) and argon2 (Node-API) all run on it:
# checked with Node 24.22.3 (test/e2e, workflow and parent-space suites; compiled web and worker
# with the pre-built bundle in production mode).

ARG NODE_IMAGE=node:24-bookworm-slim

# --- build: type-check everything (tests included), compile, copy assets, bundle workflows -------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run typecheck && npm run build

# --- production dependencies only -------------------------------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# --- runtime: node_modules + dist/ only, as the unprivileged `node` user -------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    DATA_DIR=/data \
    PORT=3000
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/dist ./dist
RUN mkdir -p /data && chown node:node /data
# Code and dependencies stay owned by root: the process can read them, not change them.
USER node
EXPOSE 3000
# Health checks are per service in docker-compose.yml (web: /ready on 3000, worker: its own port).
CMD ["node", "dist/web/server.js"]
