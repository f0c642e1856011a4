# syntax=docker/dockerfile:1
#
# One image for every Tasjil process (web, worker, sandboxes, migrate); docker-compose.yml picks
# the command. TypeScript runs through tsx (a runtime dependency), so templates, views and data
# files stay where the code expects them.

ARG NODE_IMAGE=node:20-bookworm-slim

# --- production dependencies only -------------------------------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# --- type check: the image is only built from code that compiles ---------------------------------
FROM ${NODE_IMAGE} AS typecheck
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npx tsc -p tsconfig.json --noEmit && touch /tmp/typecheck-ok

# --- runtime -------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    DATA_DIR=/data \
    PORT=3000
WORKDIR /app
COPY --from=typecheck /tmp/typecheck-ok /tmp/typecheck-ok
COPY --from=deps --chown=node:node /app/node_modules ./node_modules
COPY --chown=node:node . .
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 3000
# Health checks are per service in docker-compose.yml (the worker has no HTTP port).
CMD ["node_modules/.bin/tsx", "web/server.ts"]
