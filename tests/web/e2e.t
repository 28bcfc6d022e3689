#!/usr/bin/env bash
# The web UI's end-to-end tests (web/e2e/run.mjs, TAP) in headless
# Chromium against the stack make check started (see e2e-run.sh).
exec "$(dirname "${BASH_SOURCE[0]}")/e2e-run.sh" e2e/run.mjs
