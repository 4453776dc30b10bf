# heady-exporter image. Built by docker-compose.yml; also usable on its own:
#   docker build -t heady-exporter .
#   docker run --rm -v heady-demo:/data heady-exporter demo --out=/data
#   docker run --rm -p 9877:9877 -v heady-demo:/data heady-exporter --config.file=/data/config.yml
# The Helm chart (charts/heady-metrics) runs it as user 65532 with a
# read-only root filesystem; its state lives on a volume.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# Default: the VERSION file, which the Helm chart's appVersion (the image
# tag it deploys) follows.
ARG VERSION=
ARG REVISION=unknown
RUN version="${VERSION:-$(cat VERSION)}" && CGO_ENABLED=0 go build -trimpath \
      -ldflags "-X github.com/prometheus/common/version.Version=${version} -X github.com/prometheus/common/version.Revision=${REVISION} -X github.com/prometheus/common/version.BuildUser=docker" \
      -o /out/heady-exporter ./cmd/heady-exporter \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/heady-exporter /usr/local/bin/heady-exporter
# A named volume mounted at /data starts with this directory's owner, so the
# non-root user can write the demo data and the exporter's state there.
COPY --from=build --chown=65532:65532 /out/data /data
WORKDIR /data
EXPOSE 9877
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/heady-exporter"]
CMD ["--config.file=/data/config.yml"]
