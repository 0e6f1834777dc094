// PNG copies of charts for executed notebooks, 8-bit indexed (needs Debian's chromium; skipped
// without it, and the library built into dist/ by setup).
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { decodePng, expandPalette } from '../display/decodePng';
import { ROOT, tempDir } from './helpers';

const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p));

describe('scripts/render-plots.js', () => {
  it.skipIf(!chromium)('renders a Plotly figure to an indexed PNG of the requested size', () => {
    const dir = tempDir('render');
    const figures = path.join(dir, 'figures.json');
    const images = path.join(dir, 'images.json');
    fs.writeFileSync(figures, JSON.stringify([
      { data: [{ x: [1, 2, 3], y: [2, 1, 3], type: 'scatter' }], layout: { width: 320, height: 200, xaxis: { title: { text: 'epoch' } } } },
      // Wider than the 720 px a picture may be: drawn at scale 720/1000.
      { data: [{ x: [0, 1], y: [0, 1], type: 'scatter', mode: 'lines', line: { color: '#d62728' } }], layout: { width: 1000, height: 300 } },
    ]));
    const result = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'render-plots.js'), figures, images], { encoding: 'utf8', timeout: 120_000 });
    expect(result.status, result.stdout + result.stderr).toBe(0);
    const pngs = JSON.parse(fs.readFileSync(images, 'utf8')) as string[];
    expect(pngs.length).toBe(2);
    const sizes: [number, number][] = [[320, 200], [720, 216]];
    pngs.forEach((png, n) => {
      const bytes = Buffer.from(png, 'base64');
      const decoded = decodePng(bytes); // signature, CRCs, inflated and unfiltered scanlines
      expect([decoded.width, decoded.height]).toEqual(sizes[n]);
      expect(decoded.colourType).toBe(3);
      expect(decoded.chunkTypes).toEqual(['IHDR', 'PLTE', 'IDAT', 'IEND']);
      expect(decoded.filters.every((f) => f === 0)).toBe(true);
      const palette = decoded.palette!;
      expect(palette.length / 3).toBeLessThanOrEqual(256);
      const rgb = expandPalette(decoded.samples, palette);
      expect([...rgb.subarray(0, 3)], 'top-left pixel: the white paper').toEqual([255, 255, 255]);
      // The trace's own colour is drawn, exactly: Plotly's first colour #1f77b4, then #d62728.
      const colours = new Set(Array.from({ length: palette.length / 3 }, (_, j) => palette.subarray(3 * j, 3 * j + 3).join(',')));
      expect(colours.has(n === 0 ? '31,119,180' : '214,39,40')).toBe(true);
      // Measured: Chromium's RGBA PNGs of these charts take 0.111 and 0.069 byte a pixel (7.1 and
      // 10.7 KB), the indexed ones 0.037 and 0.019 (2.4 and 3.0 KB); either RGBA one fails this.
      expect(bytes.length / (decoded.width * decoded.height), 'bytes per pixel').toBeLessThan(0.05);
    });
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
