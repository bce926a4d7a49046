# syntax=docker/dockerfile:1
# One image for every process of the shop, chosen by argument:
#   docker run shop              the monolith (every module not extracted)
#   docker run shop payments     one module as its own service (any module's name)
#   docker run shop gateway      the strangler gateway (strangler-proxy/)
# The build steps are the ones CI proves on every submission: npm ci, npm run build,
# and npm ci --omit=dev for what runs. NODE_IMAGE: the base (Node 24 on Debian bookworm);
# test/image/ builds it with a stand-in base made from Debian's and npm's packages.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY strangler-proxy ./strangler-proxy
RUN npm run build

FROM ${NODE_IMAGE} AS runtime-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    PORT=3000 \
    DATA_DIR=/var/lib/shop \
    PROXY_PORT=8080 \
    PROXY_ADMIN_PORT=8081 \
    PROXY_ADMIN_HOST=0.0.0.0 \
    PROXY_STATE_FILE=/var/lib/shop/strangler-proxy-state.json
WORKDIR /app
COPY --from=runtime-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY drizzle ./drizzle
COPY strangler-proxy/routes.json ./strangler-proxy/routes.json
COPY deploy/docker-entrypoint.sh deploy/healthcheck.mjs ./deploy/
RUN mkdir -p /var/lib/shop && chown node:node /var/lib/shop
USER node
VOLUME ["/var/lib/shop"]
EXPOSE 3000 8080 8081
# The shop's /health/ready, or the gateway's admin /health, whichever this container runs.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s CMD ["node", "deploy/healthcheck.mjs"]
ENTRYPOINT ["deploy/docker-entrypoint.sh"]
CMD ["monolith"]
