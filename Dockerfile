# syntax=docker/dockerfile:1
# Multi-stage build of Parley's API and worker (one image, two commands).

# --- models: convert the local embedding model to ONNX (needs Python and a CPU build of torch) ---
FROM python:3.11-slim-bookworm AS models
ENV PARLEY_CACHE=/cache PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu
WORKDIR /src
COPY scripts/prepare-models.sh scripts/convert_embedding_model.py scripts/
RUN bash scripts/prepare-models.sh && rm -rf /cache/model-venv

# --- build: native faiss-node against Debian's FAISS, npm dependencies, TypeScript, workflow bundle ---
FROM node:20-bookworm AS build
ENV PARLEY_CACHE=/cache
RUN apt-get update && apt-get install -y --no-install-recommends libfaiss-dev g++ make python3 \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY scripts/build-faiss-node.sh scripts/
RUN bash scripts/build-faiss-node.sh
COPY package.json package-lock.json .npmrc ./
RUN npm_config_faiss_node_local_prebuilds=/cache/faiss-prebuilds npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

# --- runtime: slim image, non-root user ---
FROM node:20-bookworm-slim AS runtime
# FAISS is linked statically; it still needs BLAS/LAPACK and OpenMP at run time.
RUN apt-get update && apt-get install -y --no-install-recommends libblas3 liblapack3 libgomp1 curl \
    && rm -rf /var/lib/apt/lists/*
# A container is reached through its published ports: listen on every interface (the default is loopback).
ENV NODE_ENV=production PARLEY_CACHE=/var/lib/parley MODELS_DIR=/opt/parley/models HTTP_HOST=0.0.0.0 HTTP_PORT=3000
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --from=build --chown=node:node /app/seed ./seed
COPY --from=build --chown=node:node /app/openapi ./openapi
# Read at run time: the console's stylesheet and script, the demo site's stylesheet.
COPY --from=build --chown=node:node /app/src/web/assets ./src/web/assets
COPY --from=build --chown=node:node /app/src/web/static ./src/web/static
COPY --from=models --chown=node:node /cache/models /opt/parley/models
RUN mkdir -p /var/lib/parley && chown node:node /var/lib/parley
USER node
EXPOSE 3000 3001
HEALTHCHECK --interval=15s --timeout=3s CMD curl -fsS http://127.0.0.1:3000/healthz || exit 1
CMD ["node", "dist/src/api/server.js"]
