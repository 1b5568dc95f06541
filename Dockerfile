# drillbook worker image: a static Go binary on a small Debian base that also
# carries the PostgreSQL client tools the backup drill runs (pg_dump, pg_restore).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/drillbook ./cmd/drillbook

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates postgresql-client bash \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --create-home --home-dir /home/drillbook drillbook \
 && mkdir -p /var/lib/drillbook/artifacts && chown -R drillbook:drillbook /var/lib/drillbook
COPY --from=build /out/drillbook /usr/local/bin/drillbook
USER drillbook
WORKDIR /var/lib/drillbook
ENTRYPOINT ["/usr/local/bin/drillbook"]
CMD ["worker"]
