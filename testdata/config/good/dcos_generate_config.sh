#!/bin/sh
# placeholder for dcos_generate_config.sh in config tests
exit 1
