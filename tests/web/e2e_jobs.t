#!/usr/bin/env bash
# The automation screens' end-to-end tests (web/e2e/jobs.mjs, TAP) in headless
# Chromium against the stack make check started (see e2e-run.sh).
exec "$(dirname "${BASH_SOURCE[0]}")/e2e-run.sh" e2e/jobs.mjs
