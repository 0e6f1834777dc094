#!/usr/bin/env bash
# Builds the image's ELBO Lab setup; called by binder/postBuild (and by the GPU variant's postBuild
# with ELBO_LAB_GPU=1). repo2docker runs postBuild once, at image build time, in the repository,
# as the notebook user. It installs the pinned Node packages, then runs the project's own setup
# path (scripts/setup.js: library build, kernel installation, data caches, optional native engine),
# so Binder/JupyterHub images are built exactly like a local `npm run setup`.
set -euo pipefail
cd "$(dirname "$0")/.."

# apt.txt already installed the Debian/Ubuntu packages as root; setup.js must not try apt again
# (it cannot: postBuild is not root). Say so instead of failing.
if [ "$(id -u)" != "0" ] && [ -z "${ELBO_LAB_SKIP_APT:-}" ]; then
  echo "postBuild: not root: skipping apt in setup (system packages come from binder/apt.txt)"
  export ELBO_LAB_SKIP_APT=1
fi

# The Python that runs Jupyter in the image (repo2docker sets NB_PYTHON_PREFIX).
if [ -n "${NB_PYTHON_PREFIX:-}" ] && [ -z "${ELBO_LAB_PYTHON:-}" ]; then
  export ELBO_LAB_PYTHON="$NB_PYTHON_PREFIX/bin/python"
fi

# GPU variant (binder/README.md): ELBO_LAB_GPU=1 adds the CUDA build of tfjs for Node.
if [ -n "${ELBO_LAB_GPU:-}" ]; then
  echo "postBuild: GPU variant: adding @tensorflow/tfjs-node-gpu"
fi

if [ -n "${ELBO_LAB_POSTBUILD_SKIP_NPM:-}" ] && [ -d node_modules ]; then
  echo "postBuild: using the existing node_modules (ELBO_LAB_POSTBUILD_SKIP_NPM set)"
else
  npm ci --no-audit --no-fund
fi
if [ -n "${ELBO_LAB_GPU:-}" ]; then
  npm install --no-save --no-audit --no-fund @tensorflow/tfjs-node-gpu@4.22.0
fi

# The kernel goes into the image's Python environment (where its JupyterLab looks), not into the
# build user's home folder: setup installs it under ELBO_LAB_KERNEL_PREFIX when that is set.
if [ -n "${NB_PYTHON_PREFIX:-}" ]; then
  export ELBO_LAB_KERNEL_PREFIX="$NB_PYTHON_PREFIX"
fi
node scripts/setup.js
echo "postBuild: done"
