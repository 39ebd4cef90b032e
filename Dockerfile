# Portero: Node.js control plane and HAProxy data plane in one image.
#
#   docker build -t portero .
#
# The runtime image runs as an unprivileged user (10001) and works with a
# read-only root filesystem: everything Portero writes goes to the state
# directory (/var/lib/portero/state; mount an emptyDir at /var/lib/portero) and /tmp. HAProxy comes
# from Debian bookworm (2.6, the version Portero is tested with).

ARG NODE_IMAGE=node:26-bookworm-slim

# --- build: compile TypeScript, keep production dependencies only ---
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json tsconfig.json ./
RUN npm ci --no-audit --no-fund
COPY src ./src
COPY scripts/copy-assets.mjs ./scripts/
RUN npx tsc -p tsconfig.json && node scripts/copy-assets.mjs && npm prune --omit=dev --no-audit --no-fund

# --- runtime ---
FROM ${NODE_IMAGE}
# haproxy: the data plane. tini: PID 1 that forwards signals and reaps
# children (old HAProxy workers). setcap lets HAProxy bind ports below 1024
# as a non-root user when a pod uses the host network (see deploy/).
RUN apt-get update \
 && apt-get install -y --no-install-recommends haproxy tini libcap2-bin ca-certificates \
 && setcap cap_net_bind_service=+ep /usr/sbin/haproxy \
 && apt-get purge -y libcap2-bin \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 10001 portero \
 && useradd --uid 10001 --gid portero --no-create-home --shell /usr/sbin/nologin portero \
 && mkdir -p /var/lib/portero \
 && chown portero:portero /var/lib/portero
WORKDIR /app
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY docker/entrypoint.sh /usr/local/bin/portero-entrypoint
ENV NODE_ENV=production
USER 10001:10001
VOLUME ["/var/lib/portero"]
# HTTP, HTTPS (unprivileged inside the pod; hostPort maps 80 and 443), health and metrics.
EXPOSE 8080 8443 10254 10255
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/portero-entrypoint"]
CMD ["--http-port", "8080", "--https-port", "8443"]
