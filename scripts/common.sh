# SPDX-License-Identifier: MIT
# Shared by the scripts: the packages every build needs.
BP_BUILD_PACKAGES=(cmake make gcc g++ pkg-config libc6-dev zlib1g-dev libsleef-dev libcriterion-dev
                   libbenchmark-dev)
