import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ClaimFailed, Claims } from '../../src/display/claims';
import { katexStylesheet, mathBundle } from '../../src/display/math';
import { inNotebook, publish } from '../../src/display/mime';
import { PICTURE_SLOT, plotlyBundle } from '../../src/display/plotly';
import { formatNumber, tableBundle } from '../../src/display/table';

const figure = {
  data: [{ x: [0, 1, 2], y: [3, 1, 2], type: 'scatter', name: 'ELBO' }],
  layout: { title: { text: 'A test chart' }, xaxis: { title: { text: 'epoch' } }, yaxis: { title: { text: 'nats' } } },
};

afterEach(() => vi.restoreAllMocks());

describe('plotlyBundle', () => {
  it('carries the Plotly JSON for JupyterLab, HTML for classic/nbconvert and plain text, in one bundle', () => {
    const bundle = plotlyBundle(figure);
    expect(Object.keys(bundle).sort()).toEqual(['application/vnd.plotly.v1+json', 'text/html', 'text/plain']);
    const json = bundle['application/vnd.plotly.v1+json'] as { data: unknown[]; layout: Record<string, unknown> };
    expect(json.data).toEqual(figure.data);
    expect(json.layout.title).toEqual({ text: 'A test chart' });
    const html = bundle['text/html'] as string;
    const id = /<div id="([^"]+)"/.exec(html)![1];
    expect(html).toContain(`document.getElementById(${JSON.stringify(id)})`);
    expect(html).toContain('Plotly.newPlot');
    expect(bundle['text/plain']).toBe('[A test chart] Plotly chart: ELBO');
  });

  it('leaves the slot for the chart\'s picture inside its div, once, before the script', () => {
    const html = plotlyBundle(figure)['text/html'] as string;
    expect(PICTURE_SLOT).toBe('<!--elbo-lab-picture-->'); // scripts/nbrun.py looks for this text
    expect(html).toMatch(/^<div id="[^"]+" class="elbo-lab-plot" style="width:100%;height:420px"><!--elbo-lab-picture--><\/div>\n<script type="text\/javascript">/);
    expect(html.split(PICTURE_SLOT)).toHaveLength(2);
    expect(plotlyBundle({ ...figure, layout: { ...figure.layout, height: 300 } })['text/html']).toMatch(/style="width:100%;height:300px"><!--elbo-lab-picture--><\/div>/);
  });

  it('gives every figure its own element id', () => {
    const a = /<div id="([^"]+)"/.exec(plotlyBundle(figure)['text/html'] as string)![1];
    const b = /<div id="([^"]+)"/.exec(plotlyBundle(figure)['text/html'] as string)![1];
    expect(a).not.toBe(b);
  });

  it('cannot be broken out of its <script> by data containing </script>', () => {
    const html = plotlyBundle({ ...figure, data: [{ ...figure.data[0], name: '</script><b>x' }] })['text/html'] as string;
    expect(html.match(/<\/script>/g)!.length).toBe(1);
  });

  it('refuses a trace type the Plotly bundle lacks, naming the type and the bundle', () => {
    const surface = { data: [{ type: 'surface', z: [[1, 2], [3, 4]] }], layout: figure.layout };
    expect(() => plotlyBundle(surface)).toThrow(/figure\.data\[0\] is a «surface» trace, which the Plotly bundle the notebooks load \(plotly\.js-cartesian-dist-min\) does not have/);
    expect(() => plotlyBundle({ ...figure, data: [{ x: [1], y: [2] }] })).not.toThrow(); // no type: a scatter
  });

  it('refuses a chart without axis titles', () => {
    expect(() => plotlyBundle({ data: figure.data, layout: { xaxis: { title: { text: 'epoch' } } } })).toThrow(/figure\.layout\.yaxis\.title is required/);
    expect(() => plotlyBundle({ data: 'nope' } as never)).toThrow(TypeError);
  });
});

describe('mathBundle', () => {
  it('renders TeX to KaTeX HTML with MathML, keeping the TeX source', () => {
    const bundle = mathBundle(String.raw`\log p_\theta(x) \ge \mathrm{ELBO}`);
    expect(bundle['text/html']).toContain('class="katex-display"');
    expect(bundle['text/html']).toContain('<math');
    expect(bundle['text/latex']).toBe(String.raw`$$\log p_\theta(x) \ge \mathrm{ELBO}$$`);
    expect(bundle['text/plain']).toBe(String.raw`\log p_\theta(x) \ge \mathrm{ELBO}`);
    expect(mathBundle('x^2', { displayMode: false })['text/latex']).toBe('$x^2$');
  });

  it('carries the KaTeX hidden and the TeX between $$ for MathJax, the <style> showing one of them', () => {
    const html = mathBundle(String.raw`p(x) < \frac{1}{2}`)['text/html'] as string;
    const parts = /^<div class="elbo-lab-math">(<style>[^<]*<\/style>)<div class="elbo-lab-math-katex" hidden style="display:none">(<span class="katex-display">[\s\S]*<\/span>)<\/div><div class="elbo-lab-math-tex">([^<]*)<\/div><\/div>$/.exec(html);
    expect(parts, html.slice(0, 200)).not.toBeNull();
    const [, style, katexHtml, tex] = parts!;
    // trusted: the <style> shows the KaTeX and hides the TeX; sanitised (no <style>): the TeX shows
    expect(style).toBe('<style>.elbo-lab-math-katex{display:block!important}.elbo-lab-math-tex{display:none!important}</style>');
    expect(katexHtml).toContain('<annotation encoding="application/x-tex">p(x) &lt; \\frac{1}{2}</annotation>');
    expect(tex).toBe(String.raw`$$p(x) &lt; \frac{1}{2}$$`); // HTML-escaped: `<` would open a tag
    // inline math: spans, shown inline, between single $
    const inline = mathBundle('x^2', { displayMode: false })['text/html'] as string;
    expect(inline).toMatch(/^<span class="elbo-lab-math"><style>\.elbo-lab-math-katex\{display:inline!important\}\.elbo-lab-math-tex\{display:none!important\}<\/style><span class="elbo-lab-math-katex" hidden style="display:none"><span class="katex">[\s\S]*<\/span><\/span><span class="elbo-lab-math-tex">\$x\^2\$<\/span><\/span>$/);
    expect(inline).not.toContain('katex-display');
  });

  it('throws on TeX that KaTeX cannot parse, and on empty input', () => {
    expect(() => mathBundle(String.raw`\frac{1`)).toThrow();
    expect(() => mathBundle('  ')).toThrow(/tex must be a non-empty string/);
  });

  it('inlines the KaTeX fonts so math renders offline', () => {
    const css = katexStylesheet();
    expect(css).not.toMatch(/url\(fonts\//);
    expect(css).toContain('data:font/woff2;base64,');
  });
});

describe('tableBundle', () => {
  it('renders HTML, Markdown and aligned plain text, escaping HTML', () => {
    const bundle = tableBundle(['term', 'nats'], [['<KL>', 1.23456], ['reconstruction', -90.5]], 'Terms');
    expect(bundle['text/html']).toContain('&lt;KL&gt;');
    expect(bundle['text/html']).toContain('<caption');
    expect(bundle['text/markdown']).toContain('| <KL> | 1.2346 |');
    expect((bundle['text/plain'] as string).split('\n')[1]).toBe('term           | nats');
  });

  it('names the row that has the wrong number of cells', () => {
    expect(() => tableBundle(['a', 'b'], [[1, 2], [3]])).toThrow(/rows\[1\] must have 2 cells/);
  });

  it('formats numbers compactly', () => {
    expect(formatNumber(0.5)).toBe('0.5');
    expect(formatNumber(-86.7612345)).toBe('-86.7612');
    expect(formatNumber(1.5e-7)).toBe('1.500e-7');
    expect(formatNumber(NaN)).toBe('NaN');
  });
});

describe('publish outside a notebook', () => {
  it('knows it is not in a notebook and prints the text/plain part', () => {
    expect(inNotebook()).toBe(false);
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    publish({ 'text/plain': 'plain fallback', 'text/html': '<b>rich</b>' });
    expect(write).toHaveBeenCalledWith('plain fallback\n');
  });

  it('requires a text/plain fallback', () => {
    expect(() => publish({ 'text/html': '<b>x</b>' })).toThrow(/text\/plain/);
  });
});

describe('Claims', () => {
  const spec = { id: 'gap', section: '§3', statement: 'the gap equals the KL', where: 'cell: the gap' };

  it('records claims that hold and replaces a claim checked again', () => {
    const claims = new Claims('test-notebook');
    claims.close(spec, 1.0000, 1.0001, 1e-3);
    claims.close(spec, 2.0, 2.0, 0);
    expect(claims.rows()).toHaveLength(1);
    expect(claims.rows()[0].measured).toContain('2 vs 2');
    claims.atMost({ ...spec, id: 'jensen' }, -90, -89);
    claims.atLeast({ ...spec, id: 'kl' }, -1e-9, 0, 1e-6);
    expect(claims.rows().map((r) => r.passed)).toEqual([true, true, true]);
  });

  it('throws ClaimFailed with the measured numbers when a claim does not hold', () => {
    const claims = new Claims('test-notebook');
    expect(() => claims.close(spec, 1.5, 1.0, 0.1)).toThrow(ClaimFailed);
    expect(() => claims.close(spec, 1.5, 1.0, 0.1)).toThrow(/claim "gap" \(§3\) does not hold: the gap equals the KL — measured 1.5 vs 1 nats/);
    expect(() => claims.atMost(spec, 2, 1)).toThrow(/2 ≤ 1/);
    expect(() => claims.atLeast(spec, -1, 0)).toThrow(ClaimFailed);
    expect(claims.rows()[0].passed).toBe(false);
  });

  it('rejects non-finite measurements and incomplete specs', () => {
    const claims = new Claims('test-notebook');
    expect(() => claims.close(spec, NaN, 1, 0.1)).toThrow(/actual for claim "gap" must be a finite number/);
    expect(() => claims.check({ ...spec, where: '' }, 'x', 'y', true)).toThrow(/spec\.where/);
  });

  it('saves its rows as JSON for the summary notebook', () => {
    const claims = new Claims('test-notebook');
    claims.close(spec, 1, 1, 0);
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'claims-'));
    const file = claims.save(folder);
    const saved = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(saved.notebook).toBe('test-notebook');
    expect(saved.claims[0]).toMatchObject({ id: 'gap', passed: true });
    expect(claims.tableBundle()['text/plain']).toContain('the gap equals the KL');
  });
});
