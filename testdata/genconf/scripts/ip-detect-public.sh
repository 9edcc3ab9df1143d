#!/usr/bin/env bash
# A user-supplied ip-detect-public: the address published for public agents.
set -o nounset -o errexit -o pipefail
cat /etc/public-address
