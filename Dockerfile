# syntax=docker/dockerfile:1

# Build a static binary. go.mod and go.sum come first so the module download stays a cached
# layer until the dependencies change.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/otpcard .

# The integration tests (tests/) as an image of their own, for `docker compose --profile test up`:
# the test binary runs against the composed otpcard through OTPCARD_TEST_BASE_URL. It stays in the
# Go image beside the source, since the tests read ../adapters/httpapi/openapi.json from tests/ and
# the architecture test runs go list. The packaging files are not in the build context
# (.dockerignore), so the tests of docker-compose.yml and of this file skip in that image.
FROM build AS tests
RUN --mount=type=cache,target=/root/.cache/go-build \
    go test -c -o /out/tests.test ./tests
WORKDIR /src/tests
ENTRYPOINT ["/out/tests.test"]
CMD ["-test.timeout=30m"]

# No shell, no package manager, uid 65532. The image has no PostgreSQL binaries, so the embedded
# default database is unavailable here: set OTPCARD_DATABASE_URL (and OTPCARD_CELL_PEPPER).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/otpcard /otpcard
# OTPCARD_DATA_DIR defaults to ./.otpcard: keep it in a directory nonroot may write.
WORKDIR /home/nonroot
USER nonroot:nonroot
EXPOSE 8080
# Without curl or a shell the binary checks itself: GET /readyz on the local port, exit 0 or 1.
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
    CMD ["/otpcard", "healthcheck"]
ENTRYPOINT ["/otpcard"]
CMD ["serve"]
