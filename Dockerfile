# Container Gateway: the REST API and the SOAP service under gunicorn.
#
#   docker build -t container-gateway .
#   docker run --rm --network none container-gateway \
#       python -m gateway.auth new --owner alice --role operator
#   (keep the token it prints; put its GATEWAY_TOKENS_FILE line in ./gateway-tokens)
#   docker run -d --name container-gateway \
#       -p 127.0.0.1:8080:8080 \
#       -v /var/run/docker.sock:/var/run/docker.sock \
#       --group-add "$(stat -c %g /var/run/docker.sock)" \
#       -v "$PWD/gateway-tokens:/run/secrets/gateway-tokens:ro" \
#       -e GATEWAY_TOKENS_FILE=/run/secrets/gateway-tokens \
#       -v container-gateway-audit:/var/log/container-gateway \
#       -v container-gateway-state:/var/lib/container-gateway \
#       container-gateway
#
# The server runs as an unprivileged user (uid and gid 10001). It reaches the
# engine through the mounted socket, which belongs to root and to the host's
# "docker" group, whose id differs from host to host: give that group id to
# the container at run time with --group-add (compose: group_add).
#
# The default bind, 0.0.0.0:8080, is every address of the container's own
# network namespace; the gateway rejects it unless API tokens are configured.
# With --network host, set GATEWAY_BIND=127.0.0.1:PORT (loopback, no token
# needed) or configure tokens: 0.0.0.0 would then be every address of the
# host. See docs/deployment.md.
#
# Base image: Python 3.11 or 3.12 only. Spyne imports the cgi module, which
# Python 3.13 removed, so the server would fail at start-up on 3.13; the
# build stops early on such a base instead.
# The base may be the official python image or a plain Debian with Debian's
# python3 and python3-venv (scripts/build-base-image makes one): the
# dependencies go into a virtual environment at /opt/venv either way.
ARG BASE_IMAGE=python:3.11-slim-bookworm
FROM ${BASE_IMAGE}

ARG BASE_IMAGE
# Image labels; compose.yaml passes GATEWAY_VERSION as VERSION.
ARG VERSION=unknown
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="container-gateway" \
      org.opencontainers.image.description="Docker Engine container management over a REST API and a SOAP 1.1 service" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.base.name="${BASE_IMAGE}"

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# The user the server runs as, and the two directories it writes: the audit
# log and the state directory (the WS-Security nonce cache). Mount volumes
# there; a new named volume takes the ownership set here.
RUN groupadd --gid 10001 gateway \
    && useradd --uid 10001 --gid gateway --no-create-home --no-log-init \
        --home-dir /nonexistent --shell /usr/sbin/nologin gateway \
    && install -d -o gateway -g gateway -m 0750 /var/log/container-gateway \
    && install -d -o gateway -g gateway -m 0700 /var/lib/container-gateway

# Dependencies in their own layer, before the code: a code change reuses it.
# Only the runtime dependencies from pyproject.toml are installed, at the
# versions pinned in constraints.txt (which also pins the dev tools).
COPY pyproject.toml constraints.txt /tmp/deps/
RUN python3 -c 'import sys; v = sys.version_info[:2]; sys.exit(0 if (3, 11) <= v < (3, 13) else "need Python 3.11 or 3.12 (Spyne imports cgi, removed in 3.13), the base has %d.%d" % v)' \
    && python3 -m venv /opt/venv \
    && python3 -c 'import tomllib; print("\n".join(tomllib.load(open("/tmp/deps/pyproject.toml", "rb"))["project"]["dependencies"]))' \
        >/tmp/deps/requirements.txt \
    && /opt/venv/bin/python -m pip install --no-cache-dir --disable-pip-version-check \
        --use-pep517 -c /tmp/deps/constraints.txt -r /tmp/deps/requirements.txt \
    && /opt/venv/bin/python -m pip check \
    && /opt/venv/bin/python -c 'import spyne, gunicorn, flask, docker, lxml' \
    && rm -rf /tmp/deps

WORKDIR /app
COPY gunicorn.conf.py ./
COPY gateway/ gateway/
COPY rest_service/ rest_service/
COPY soap_service/ soap_service/
# Compiled now, since the server's user cannot write here at run time.
RUN python3 -m compileall -q /app
ENV PYTHONPATH=/app

USER 10001:10001
ENV GATEWAY_BIND=0.0.0.0:8080 \
    GATEWAY_PUBLIC_URL=http://127.0.0.1:8080 \
    GATEWAY_AUDIT_LOG=/var/log/container-gateway/audit.jsonl \
    GATEWAY_STATE_DIR=/var/lib/container-gateway
EXPOSE 8080

# Requests /healthz at the TCP address in GATEWAY_BIND (a unix: bind is not
# supported here). A wildcard address becomes loopback, and proxy variables
# are ignored.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["/opt/venv/bin/python", "-c", "import os, urllib.request as u; h, _, p = (os.environ.get('GATEWAY_BIND') or '127.0.0.1:8080').rpartition(':'); h = h.strip('[]'); h = {'': '127.0.0.1', '0.0.0.0': '127.0.0.1', '::': '::1'}.get(h, h); h = '[' + h + ']' if ':' in h else h; u.build_opener(u.ProxyHandler({})).open('http://' + h + ':' + p + '/healthz', timeout=4)"]

# Exec form: gunicorn is PID 1 and gets docker stop's SIGTERM itself, then
# shuts down gracefully (graceful_timeout in gunicorn.conf.py). Worker
# heartbeats go to /dev/shm, which is memory-backed and writable even when
# the root file system is read-only. The control socket is off: it would live
# in the home directory this user does not have, and docker exec is the way
# in.
STOPSIGNAL SIGTERM
CMD ["/opt/venv/bin/gunicorn", "--config", "/app/gunicorn.conf.py", "--worker-tmp-dir", "/dev/shm", "--no-control-socket", "gateway.wsgi:app"]
