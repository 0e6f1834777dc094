#!/usr/bin/env node
// The browser tests (a step of `npm test`; alone: `node scripts/book/browser-tests.js`), in Debian's
// Chromium driven by playwright-core:
//   1. the page checker on generated pages (a right one passes, one with an empty chart fails);
//   2. every page of build/book/ (build it first: `npm run book`), a screenshot of each in
//      build/screenshots/; on pages with latent explorers, each walked by keyboard (explorer.js),
//      and the same on the nbconvert HTML copies that carry explorers (build/html/);
//   3. a live session: classic Jupyter Notebook, notebook 00 run through the UI, then its signed
//      executed copy opened (trusted, charts shown without running), and the signed executed 04
//      (trusted, its latent explorers live and walked by keyboard).
// Without Chromium it says so in one line and skips, except under CI (CI=true), where that fails.
// Writes build/browser-report.json (or --report FILE): { passed, failed, skipped, checks }; exit 1
// when a check failed.
'use strict';

const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const { ROOT, readState } = require('../state');
const { findChromium, launchChromium } = require('../chromium');
const { checkPage } = require('./check');
const { checkerSelfTest } = require('./selftest');
const { liveSession } = require('./live');
const { walkExplorers } = require('./explorer');

const BOOK = path.join(ROOT, 'build', 'book');
const SHOTS = path.join(ROOT, 'build', 'screenshots');
const reportArg = process.argv.indexOf('--report');
const REPORT = reportArg > 0 ? path.resolve(process.argv[reportArg + 1]) : path.join(ROOT, 'build', 'browser-report.json');
const LIVE_NOTEBOOK = path.join(ROOT, 'notebooks', '00-start-here.ipynb');
// An executed copy with latent explorers, opened in the classic Notebook after the live run.
const EXPLORER_NOTEBOOK = '04-why-q-near-the-prior.ipynb';

function report(checks, skipped = '') {
  const passed = checks.filter((c) => c.ok).length;
  const result = { passed, failed: checks.length - passed, skipped, checks };
  fs.mkdirSync(path.dirname(REPORT), { recursive: true });
  fs.writeFileSync(REPORT, JSON.stringify(result, null, 2));
  return result;
}

function say(check) {
  const seconds = check.seconds !== undefined ? ` (${check.seconds.toFixed(1)} s)` : '';
  process.stdout.write(`${check.ok ? '✓' : '✗'} ${check.name}${seconds}\n`);
  for (const problem of check.problems) process.stdout.write(`    ${problem}\n`);
}

/** The book's pages with the number of charts each must show (build/book/pages.json, written by the build). */
function bookPages() {
  const manifest = path.join(BOOK, 'pages.json');
  if (!fs.existsSync(manifest)) throw new Error(`no book to check: ${path.relative(ROOT, manifest)} is missing (run \`npm run book\`)`);
  return JSON.parse(fs.readFileSync(manifest, 'utf8'));
}

/** The nbconvert HTML copies (build/html/) of the book's notebooks whose pages carry explorers, with how many. */
function htmlCopiesWithExplorers(pages) {
  return pages.filter((p) => p.explorers > 0)
    .map((p) => ({ file: path.join(ROOT, 'build', 'html', p.file), explorers: p.explorers }))
    .filter((copy) => fs.existsSync(copy.file));
}

/** The classic Notebook's version (6.x) for the setup's Python, or null when it is not installed. */
function classicNotebook() {
  const done = spawnSync(readState().python, ['-c', 'import notebook; print(notebook.__version__)'], { encoding: 'utf8' });
  const version = done.status === 0 ? done.stdout.trim() : '';
  return /^[4-6]\./.test(version) ? version : null;
}

const underCI = () => process.env.CI === 'true' || process.env.CI === '1';

async function main(args) {
  if (!findChromium()) {
    const line = 'browser tests: no Chromium found (sudo apt-get install chromium, or set ELBO_LAB_CHROMIUM)';
    if (underCI()) {
      process.stdout.write(`${line}; required under CI\n`);
      return report([{ name: 'Chromium installed', ok: false, problems: [line] }]);
    }
    process.stdout.write(`${line}; skipped\n`);
    return report([], line);
  }
  const checks = [];
  const record = (check) => { checks.push(check); say(check); };
  // Its own screenshots only (build/screenshots/jupyterlab/ belongs to the JupyterLab tests).
  fs.mkdirSync(SHOTS, { recursive: true });
  for (const file of fs.readdirSync(SHOTS).filter((f) => f.endsWith('.png'))) fs.rmSync(path.join(SHOTS, file));
  const browser = await launchChromium();
  try {
    for (const check of await checkerSelfTest(browser.context)) record(check);
    if (!args.includes('--no-book')) {
      let pages = [];
      try {
        pages = bookPages();
      } catch (error) {
        record({ name: 'book built', ok: false, problems: [error.message] });
      }
      for (const page of pages) {
        const started = Date.now();
        const explorers = page.explorers || 0;
        const { problems } = await checkPage(browser.context, `file://${path.join(BOOK, page.file)}`, {
          screenshot: path.join(SHOTS, `${path.basename(page.file, '.html')}.png`),
          expect: { charts: page.charts, katex: true, relative: true },
          interact: explorers > 0 ? (opened) => walkExplorers(opened, { count: explorers }) : undefined,
        });
        const walked = explorers > 0 ? `, ${explorers} latent explorer(s) live and walked by keyboard` : '';
        record({ name: `book page ${page.file}: ${page.charts} chart(s)${walked}`, ok: problems.length === 0, problems, seconds: (Date.now() - started) / 1000 });
      }
      for (const copy of htmlCopiesWithExplorers(pages)) {
        const started = Date.now();
        const { problems } = await checkPage(browser.context, `file://${copy.file}`, {
          expect: { katex: false }, interact: (opened) => walkExplorers(opened, { count: copy.explorers }),
        });
        // nbconvert's page is judged for the explorers only: its charts and math are the notebook front end's, not checked here
        const own = problems.filter((p) => /^explorer|latent explorer|console error|request/.test(p));
        record({ name: `nbconvert HTML ${path.basename(copy.file)}: ${copy.explorers} latent explorer(s) live and walked by keyboard`, ok: own.length === 0, problems: own, seconds: (Date.now() - started) / 1000 });
      }
    }
  } finally {
    await browser.close();
  }
  if (!args.includes('--no-live') && !classicNotebook()) {
    const line = 'live session: the classic Jupyter Notebook (6.x) is not installed (sudo apt-get install jupyter-notebook)';
    if (underCI()) record({ name: 'classic Notebook installed', ok: false, problems: [line] });
    else process.stdout.write(`${line}; skipped\n`);
  } else if (!args.includes('--no-live')) {
    const executed = path.join(ROOT, 'build', 'notebooks', path.basename(LIVE_NOTEBOOK));
    const withExplorers = path.join(ROOT, 'build', 'notebooks', EXPLORER_NOTEBOOK);
    const live = await liveSession(LIVE_NOTEBOOK, { screenshot: path.join(SHOTS, 'live-session.png'), executed: fs.existsSync(executed) ? executed : undefined,
      withExplorers: fs.existsSync(withExplorers) ? withExplorers : undefined });
    const also = fs.existsSync(withExplorers) ? `; the signed executed ${EXPLORER_NOTEBOOK}: its latent explorers live and walked by keyboard` : '';
    record({ name: `live session: ${path.basename(LIVE_NOTEBOOK)} run through the classic Notebook UI${also}`, ok: live.problems.length === 0, problems: live.problems, seconds: live.seconds });
  }
  return report(checks);
}

if (require.main === module) {
  main(process.argv.slice(2)).then((result) => {
    process.stdout.write(`browser tests: ${result.passed} passed, ${result.failed} failed${result.skipped ? ' (skipped)' : ''}\n`);
    process.exit(result.failed > 0 ? 1 : 0);
  }, (error) => {
    process.stderr.write(`browser tests: ${error.stack || error.message}\n`);
    report([{ name: 'browser tests ran', ok: false, problems: [error.message] }]);
    process.exit(1);
  });
}

module.exports = { main };
