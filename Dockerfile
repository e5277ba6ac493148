# syntax=docker/dockerfile:1
# The fleetplane image: the `fleetplane` CLI on Node.js 22, run by the relay's ECS service
# (cdk/constructs/relay-service.ts) as `fleetplane relay ...`, and usable for `agent` and
# `forwarder` too. Built by `cdk deploy` for linux/arm64 (Graviton Fargate tasks):
#   docker buildx build --platform linux/arm64 -t fleetplane .
# The CLI runs TypeScript through tsx, a runtime dependency, exactly as bin/fleetplane.mjs does
# in a checkout; the codec's descriptor set is prebuilt so tasks never parse .proto files.

ARG NODE_IMAGE=node:22-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json .npmrc ./
# --ignore-scripts: the install scripts in the tree are the npm `node` package's (it would download
# a second Node binary; the image has one), protobufjs's (a version notice) and esbuild's (a check
# of the platform binary, which npm installs as an optional dependency anyway).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY tsconfig.json ./
COPY bin ./bin
COPY cli ./cli
COPY functions ./functions
COPY services ./services
COPY shared ./shared
COPY scripts/build-codec-descriptors.ts ./scripts/build-codec-descriptors.ts
# shared/codec loads codec-descriptors.binpb next to its module before parsing anything.
RUN node --import tsx scripts/build-codec-descriptors.ts shared/codec/codec-descriptors.binpb \
  && node bin/fleetplane.mjs --help > /dev/null

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app /app
# The unprivileged user of the node images (uid 1000). tsx caches compiled modules under /tmp.
USER node
# 18000: ADS (gRPC). 9902: admin HTTP (/healthz /readyz /debug/* /metrics).
EXPOSE 18000 9902
ENTRYPOINT ["node", "/app/bin/fleetplane.mjs"]
CMD ["--help"]
