#!/usr/bin/env bash
# Builds the image's ELBO Lab setup; called by binder/postBuild (and by the GPU variant's postBuild
# with ELBO_LAB_GPU=1). repo2docker runs postBuild once, at image build time, in the repository,
# as the notebook user. It installs the pinned Node packages, then runs the project's own setup
# path (scripts/setup.js: kernel registration in .jupyter/, data caches, optional native engine),
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

node scripts/setup.js

# Make the kernel visible to the image's JupyterLab too (setup.js registers it in .jupyter/,
# which only the project's own scripts put on JUPYTER_PATH; binder/start adds it as well).
if [ -n "${NB_PYTHON_PREFIX:-}" ] && command -v jupyter >/dev/null 2>&1; then
  jupyter kernelspec install --prefix "$NB_PYTHON_PREFIX" --name tslab --replace .jupyter/kernels/tslab
fi
echo "postBuild: done"
