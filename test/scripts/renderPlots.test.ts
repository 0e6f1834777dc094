// PNG copies of charts for executed notebooks (needs Debian's chromium; skipped without it).
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir } from './helpers';

const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p));

describe('scripts/render-plots.js', () => {
  it.skipIf(!chromium)('renders a Plotly figure to a PNG of the requested size', () => {
    const dir = tempDir('render');
    const figures = path.join(dir, 'figures.json');
    const images = path.join(dir, 'images.json');
    fs.writeFileSync(figures, JSON.stringify([
      { data: [{ x: [1, 2, 3], y: [2, 1, 3], type: 'scatter' }], layout: { width: 320, height: 200, xaxis: { title: { text: 'epoch' } } } },
    ]));
    const result = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'render-plots.js'), figures, images], { encoding: 'utf8', timeout: 120_000 });
    expect(result.status, result.stdout + result.stderr).toBe(0);
    const [png] = JSON.parse(fs.readFileSync(images, 'utf8')) as string[];
    const bytes = Buffer.from(png, 'base64');
    expect(bytes.subarray(1, 4).toString('ascii')).toBe('PNG');
    expect(bytes.readUInt32BE(16)).toBe(320); // IHDR width
    expect(bytes.readUInt32BE(20)).toBe(200); // IHDR height
  });

  it('says so, and exits 3, when no Chromium is installed', () => {
    const dir = tempDir('render');
    fs.writeFileSync(path.join(dir, 'figures.json'), '[]');
    const result = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'render-plots.js'), path.join(dir, 'figures.json'), path.join(dir, 'out.json')], {
      encoding: 'utf8',
      env: { ...process.env, ELBO_LAB_CHROMIUM: '/nonexistent/chromium', ELBO_LAB_NO_SYSTEM_CHROMIUM: '1' },
    });
    expect(result.status).toBe(3);
    expect(result.stdout).toContain('no Chromium found');
  });
});
