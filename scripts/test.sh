#!/usr/bin/env bash
# All tests: system packages, formatting, clippy with warnings as errors, unit and integration
# tests (the integration tests read ../shared/data and run GDAL's ogrinfo).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
