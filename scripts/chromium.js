// Debian's Chromium, driven by playwright-core: never a downloaded browser. Used by the chart
// renderer (render-plots.js) and the browser tests (scripts/book/).
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');

const LAUNCH_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

/** The system Chromium (ELBO_LAB_CHROMIUM first), or null. */
function findChromium() {
  const system = process.env.ELBO_LAB_NO_SYSTEM_CHROMIUM ? [] : ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
  const candidates = [process.env.ELBO_LAB_CHROMIUM, ...system];
  return candidates.find((c) => c && fs.existsSync(c)) || null;
}

/**
 * Headless Chromium with a fresh user data dir of its own; `close()` ends the browser and removes
 * the folder. Throws when no Chromium is installed.
 */
async function launchChromium() {
  const executablePath = findChromium();
  if (!executablePath) throw new Error('no Chromium found (sudo apt-get install chromium, or set ELBO_LAB_CHROMIUM)');
  const { chromium } = require('playwright-core');
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'elbo-lab-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: LAUNCH_ARGS,
    viewport: { width: 1280, height: 900 },
  });
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

module.exports = { LAUNCH_ARGS, findChromium, launchChromium };
