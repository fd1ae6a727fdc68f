# syntax=docker/dockerfile:1

# seam-offline-codes: one image for every role (ingress, worker, all); the role is the last
# argument of the command. Node 24 is the current LTS; the tag is pinned (bump it on purpose).

# ---- build: all dependencies (dev included) to compile TypeScript into dist/ ----
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
# Everything the build may include (tsconfig.build.json: app, src, workers, sim); .dockerignore
# keeps node_modules, dist, .env and test output out of the context.
COPY . .
RUN npm run build

# ---- runtime: production dependencies and the compiled output only ----
FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
# Files stay owned by root: the app user can read them but not rewrite its own code.
COPY --from=build /app/dist ./dist
# The official image's non-root user (uid 1000).
USER node
EXPOSE 3000
# Liveness only (/healthz): readiness (/readyz) is for balancers and compose's depends_on.
# Slim images have no curl, so node's own fetch does the call; any error or non-2xx fails.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Exec form: node receives SIGTERM itself (no shell in between) and runs the graceful
# shutdown. As PID 1 node has no default signal handlers, but the app installs its own for
# SIGTERM and SIGINT; docker-compose.yml adds `init: true` (tini) to forward signals and reap
# zombies. Under Kubernetes or plain `docker run`, pass --init or rely on node's handlers.
CMD ["node", "dist/app/main.js", "all"]
