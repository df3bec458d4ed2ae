# syntax=docker/dockerfile:1
# The faas-autoscaler operator image: `faas-autoscaler operator` on Node 22, non-root, made to run
# with a read-only root filesystem (the chart mounts an emptyDir on /tmp).
#
#   docker build -t REGISTRY/faas-autoscaler:0.1.0 .
#
# Two stages: TypeScript is compiled with the dev dependencies in `build`; `runtime` gets only the
# production dependencies (`npm ci --omit=dev`), the compiled dist/, the launcher, the CRDs (the
# operator reads its validation schema from crds/ at run time) and the shipped models.
# test/unit/chart/dockerfile.test.ts checks these properties.

ARG NODE_IMAGE=node:22.14.0-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are here; we build below.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY kernel/src ./kernel/src
COPY operator/src ./operator/src
COPY workload-generator/src ./workload-generator/src
COPY bench ./bench
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only. --omit=optional leaves out @tensorflow/tfjs-node, whose install
# script downloads a native libtensorflow: the image uses the portable wasm backend instead
# (docs/adr/006, 008). --ignore-scripts: no install script may run or fetch anything. The
# dependencies' source maps are half of node_modules (208 of 390 MB, mostly tfjs) and unused.
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund \
 && find node_modules -name '*.map' -type f -delete \
 && npm cache clean --force
COPY --from=build /src/dist ./dist
COPY bin ./bin
COPY crds ./crds
COPY models ./models

LABEL org.opencontainers.image.title="faas-autoscaler" \
      org.opencontainers.image.description="Autoscaling operator for OpenFaaS functions (LSTM-PPO+ and baselines)" \
      org.opencontainers.image.licenses="Apache-2.0"

# A fixed numeric uid/gid (not in /etc/passwd is fine): Kubernetes' runAsNonRoot can only verify a
# numeric USER. The chart's podSecurityContext uses the same ids.
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["node", "/app/bin/faas-autoscaler.js", "operator"]
