# The server image for use with a ClickHouse server (docker-compose.yml). It carries no
# embedded engine: set OMNISTAT_CLICKHOUSE_URL.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/omnistat ./cmd/omnistat && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/omnistat /usr/local/bin/omnistat
# The spool must be writable by the nonroot user; a new named volume takes this ownership.
COPY --from=build --chown=65532:65532 /out/data /var/lib/omnistat
USER nonroot
EXPOSE 8080
VOLUME ["/var/lib/omnistat"]
ENTRYPOINT ["/usr/local/bin/omnistat"]
CMD ["serve"]
