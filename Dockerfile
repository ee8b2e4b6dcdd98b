# The orchestrator's one image: code server, webserver, daemon and run workers (terraform/orchestrator/ecs.tf
# picks the role with the container command; EcsRunLauncher overrides it with `dagster api execute_run`).
# Every build step is deploy/image/build.sh, which tests/test_image.py runs outside a container.
#
# Build context: this repository plus .image/providers, a Terraform filesystem mirror of the providers the
# roots' lock files name (the image workflow makes it with `terraform providers mirror`; decision 0130).
# The base is Debian bookworm (Python 3.11, git); `deploy/image/base.sh` makes the same base from Debian
# packages with debootstrap when no registry is reachable.
ARG BASE_IMAGE=docker.io/library/debian:bookworm-slim
FROM ${BASE_IMAGE}

RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      python3 python3-venv git ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --create-home --home-dir /home/credex credex

# A builder behind a TLS-intercepting proxy passes its CA bundle as a build secret (`--secret
# id=ca_bundle,src=...`): mounted for this step only, never part of a layer.
COPY --chown=root:root . /src
RUN --mount=type=secret,id=ca_bundle,required=false \
    if [ -s /run/secrets/ca_bundle ]; then export SSL_CERT_FILE=/run/secrets/ca_bundle PIP_CERT=/run/secrets/ca_bundle; fi \
 && CREDEX_PROVIDER_MIRROR=/src/.image/providers PYTHON=/usr/bin/python3 sh /src/deploy/image/build.sh /opt/credex \
 && rm -rf /src /root/.cache

USER credex
WORKDIR /home/credex
ENV HOME=/home/credex
ENTRYPOINT ["/opt/credex/bin/credex-entrypoint"]
CMD ["webserver"]
