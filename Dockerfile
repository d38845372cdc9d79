# The release image: the one `mindgw` executable on a small glibc base, run as an unprivileged user.
# Build:  docker build --build-arg MINDGW_BUILD_COMMIT=$(git rev-parse --short HEAD) -t mindgw .
# Run:    docker run -p 8080:8080 -v /srv/mindgw:/var/lib/mindgw -v $PWD/config.yaml:/etc/mindgw/config.yaml mindgw
#         (chown 10001:10001 /srv/mindgw first: the store is written as the image's user; docs/DEPLOYMENT.md)
FROM oven/bun:1.4.5 AS build
WORKDIR /src
COPY package.json bun.lock ./
RUN bun install --frozen-lockfile
COPY . .
# This image has no git: the commit `mindgw version` names comes from here ("unknown" without it).
ARG MINDGW_BUILD_COMMIT
RUN bun run build

# The compiled binary needs only glibc and CA certificates (for HTTPS upstreams).
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/mindgw --create-home mindgw
COPY --from=build /src/dist/mindgw /usr/local/bin/mindgw
# A relative storage.path is read beside the config file, /etc/mindgw/config.yaml, where this user may
# not write: /etc/mindgw/data leads to the volume, so the default ./data/mindgw.db is kept there.
RUN mkdir -p /etc/mindgw && ln -s /var/lib/mindgw /etc/mindgw/data
# The allocator keeps the pages it frees rather than handing them back 100 ms later and faulting
# them in again: up to a quarter less CPU a request at c=32 for RSS that stays at its peak
# (docs/DEPLOYMENT.md, "Memory"). `mindgw serve` sets it itself when it is unset, by starting
# again; set here, it starts once. Set another value (say 100) to give memory back.
ENV MIMALLOC_PURGE_DELAY=-1
USER mindgw
WORKDIR /var/lib/mindgw
# SQLite (one node) lives here at the default storage.path (or an absolute one under it); mount a
# volume to keep it, writable by uid 10001.
VOLUME ["/var/lib/mindgw"]
EXPOSE 8080
# SIGTERM drains (in-flight requests finish within server.drain_timeout), then exits 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/mindgw"]
CMD ["serve", "-c", "/etc/mindgw/config.yaml"]
