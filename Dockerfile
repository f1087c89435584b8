# syntax=docker/dockerfile:1
#
# lexi-slack: a two-stage build into a distroless, non-root runtime image.
#
#   docker build -t lexi-slack .
#   docker run --env-file .env -p 3000:3000 -v lexi-data:/data lexi-slack
#
# Only Cargo.toml, Cargo.lock and src/ enter the build. If the package ever
# gains a build.rs, or an explicit [[bench]]/[[test]]/[[example]] target,
# copy those files too: Cargo refuses a manifest whose targets are missing
# (which is why step 1 stubs the explicit lexi-bench [[bin]] as well).

ARG RUST_VERSION=1.95

# ---------------------------------------------------------------------------
FROM rust:${RUST_VERSION}-slim-bookworm AS builder
WORKDIR /build

# 1. Dependencies only. Stub sources stand in for src/, so this layer is reused
#    until Cargo.toml or Cargo.lock change. ring (rustls) only needs gcc, which
#    the slim image has; nothing links OpenSSL.
COPY Cargo.toml Cargo.lock ./
RUN mkdir -p src/bin/lexi-bench \
    && echo 'fn main() {}' > src/main.rs \
    && echo 'fn main() {}' > src/bin/lexi-bench/main.rs \
    && touch src/lib.rs \
    && cargo build --release --locked --bin lexi-slack \
    && rm -rf src \
        target/release/.fingerprint/lexi-slack-* \
        target/release/deps/lexi_slack-* \
        target/release/deps/liblexi_slack-* \
        target/release/lexi-slack* \
        target/release/liblexi_slack*

# 2. The real sources. The stub's fingerprints were removed above, so Cargo
#    rebuilds the crate even though COPY keeps the (older) file times.
COPY src ./src
RUN cargo build --release --locked --bin lexi-slack \
    && mkdir -p /out/data \
    && install -m 0755 target/release/lexi-slack /out/lexi-slack

# ---------------------------------------------------------------------------
# glibc-based (the binary is linked against bookworm's glibc, as is debian12),
# with CA certificates and tzdata but no shell, curl or package manager: the
# health probe is the binary itself (`lexi-slack healthcheck`).
FROM gcr.io/distroless/cc-debian12:nonroot AS runtime

ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="lexi-slack" \
      org.opencontainers.image.description="Lexi, LeadLex's AI sales assistant, in Slack threads" \
      org.opencontainers.image.vendor="LeadLex" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.base.name="gcr.io/distroless/cc-debian12:nonroot"

COPY --from=builder /out/lexi-slack /usr/local/bin/lexi-slack
# The sled database lives here; 65532 is distroless's "nonroot" user. The
# directory is owned by it before VOLUME, so a fresh named volume is too.
COPY --from=builder --chown=65532:65532 /out/data /data

# MALLOC_TRIM_THRESHOLD_ fixes glibc's trim and mmap thresholds (any of these
# variables turns off their dynamic growth). sled allocates and frees a 512 KiB
# log segment every few hundred messages; once one is freed, glibc raises both
# thresholds and then keeps tens of MiB of freed memory in its arenas: RSS after
# a burst was 116-148 MiB instead of ~54 (BENCHMARKS.md, "Memory").
ENV DATA_DIR=/data \
    LISTEN_ADDR=0.0.0.0:3000 \
    MALLOC_TRIM_THRESHOLD_=131072

VOLUME ["/data"]
EXPOSE 3000
USER 65532:65532

# Exits 0 when GET http://127.0.0.1:<LISTEN_ADDR port>/healthz answers 200.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["/usr/local/bin/lexi-slack", "healthcheck"]

# SIGTERM starts a graceful shutdown: stop accepting, finish in-flight jobs.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/lexi-slack"]
CMD ["serve"]
