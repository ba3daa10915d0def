# syntax=docker/dockerfile:1
#
# jderper image. Build: docker build -t jderper .
# Run:  docker run -p 443:443 -p 80:80 -p 3478:3478/udp -v jderper-data:/var/lib/derper jderper -hostname derp.example.com
# (arguments are the original derper's flags or --derper.* properties; DERPER_* environment variables work too).

# ---- build stage: JDK 25 runs the Maven wrapper; the bytecode targets Java 17 (pom.xml) ----
FROM eclipse-temurin:25-jdk AS build
WORKDIR /src
COPY mvnw pom.xml ./
COPY .mvn/ .mvn/
COPY src/ src/
RUN --mount=type=cache,target=/root/.m2 ./mvnw -B -DskipTests package
# Layers: third-party jars change less often than the application, so image pushes stay small.
RUN java -Djarmode=tools -jar target/jderper.jar extract --layers --destination /layers

# ---- runtime stage ----
FROM eclipse-temurin:25-jre
# Set by the build (docker build --build-arg VERSION=... --build-arg REVISION=$(git rev-parse HEAD) ...).
ARG VERSION=0.1.0
ARG REVISION=""
ARG CREATED=""
# io.jderper.memory-limit: the container memory limit the JVM sizes below are computed for (docs/performance.md,
# "Memory"); run with --memory 768m, or give JDK_JAVA_OPTIONS the sizes for your limit.
LABEL org.opencontainers.image.title="jderper" \
      org.opencontainers.image.description="DERP relay server, wire-compatible with Tailscale's derper" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.base.name="eclipse-temurin:25-jre" \
      io.jderper.memory-limit="768Mi"
# curl for HEALTHCHECK; a fixed numeric non-root user so that Kubernetes' runAsNonRoot can verify it.
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 65532 jderper \
 && useradd --system --uid 65532 --gid 65532 --home-dir /var/lib/derper --no-create-home --shell /usr/sbin/nologin jderper \
 && mkdir -p /var/lib/derper \
 && chown 65532:65532 /var/lib/derper \
 && chmod 0700 /var/lib/derper
WORKDIR /opt/jderper
COPY --from=build /layers/dependencies/ ./
COPY --from=build /layers/snapshot-dependencies/ ./
COPY --from=build /layers/application/ ./
# The server key (and ACME certificates) live in /var/lib/derper: mount a volume there so the key survives
# re-creation. Memory: heap, direct memory, metaspace, code cache and stacks sized for a 768 MiB limit by the formula
# in docs/performance.md (heap and direct memory together with the rest stay under the limit, so a full heap is an
# OutOfMemoryError that ends the process, not a kernel OOM kill). Serial GC and two JIT threads keep the footprint
# small. Netty keeps sun.misc.Unsafe on JDK 25 (off by default there; bounds-checked buffer access showed in the relay
# path). The Unsafe options and compact object headers need JDK 24+: an older runtime would refuse to start.
# A small node (a few thousand clients, 256 MiB) takes the options of helm/jderper/ci/small-node-values.yaml instead:
# its JDK_JAVA_OPTIONS and MALLOC_ARENA_MAX=1 (docs/performance.md, "Memory").
ENV DERPER_KEYFILE=/var/lib/derper/derper.key \
    DERPER_TLS_CERTDIR=/var/lib/derper/certs \
    JDK_JAVA_OPTIONS="-Xmx392m -XX:MaxDirectMemorySize=168m -XX:MaxMetaspaceSize=64m -XX:ReservedCodeCacheSize=48m -Xss512k -XX:+UseSerialGC -XX:CICompilerCount=2 -XX:+ExitOnOutOfMemoryError -XX:+UseCompactObjectHeaders -Dio.netty.noUnsafe=false --sun-misc-unsafe-memory-access=allow"
USER 65532:65532
# 443 DERP over TLS, 80 ACME HTTP-01 and redirects, 3478/udp STUN, 8081 Actuator (health, Prometheus).
# Binding 443/80 as non-root relies on net.ipv4.ip_unprivileged_port_start, which Docker sets to 0 in containers.
EXPOSE 443/tcp 80/tcp 3478/udp 8081/tcp
HEALTHCHECK --interval=15s --timeout=3s --start-period=40s --retries=3 \
  CMD curl -fsS "http://127.0.0.1:${MANAGEMENT_SERVER_PORT:-8081}/actuator/health/readiness" > /dev/null || exit 1
ENTRYPOINT ["java", "-jar", "/opt/jderper/jderper.jar"]
