/**
 * Math rendered with KaTeX on the kernel side, so it shows the same in JupyterLab, the classic
 * Notebook, nbconvert HTML and offline: HTML + MathML in text/html, the TeX source in text/latex
 * and text/plain. The stylesheet, with its fonts inlined as data URLs, is sent once per kernel.
 *
 * A notebook opened untrusted (an executed copy from another machine) has its HTML sanitised:
 * `<style>` is dropped, so KaTeX's markup would show unstyled, with its MathML read out as text.
 * The HTML therefore carries both: the KaTeX rendering, hidden by an attribute, and the TeX
 * between $$ delimiters, which JupyterLab and the Notebook typeset with their own MathJax. A
 * `<style>` in the same output (kept only where the output is trusted) shows the KaTeX and hides
 * the TeX, so each reader sees the equation once, typeset either way.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as katex from 'katex';
import { projectRoot } from '../paths';
import { escapeHtml, inNotebook, MimeBundle, publish } from './mime';

let stylesheetPublished = false;

/** katex.min.css with every woff2 font inlined as a data URL (other formats dropped), so math renders offline and in exported HTML. */
export function katexStylesheet(): string {
  const dist = path.join(projectRoot(), 'node_modules', 'katex', 'dist');
  const css = fs.readFileSync(path.join(dist, 'katex.min.css'), 'utf8');
  return css.replace(/src:([^;}]*)/g, (_whole, sources: string) => {
    const woff2 = /url\((fonts\/[^)]+\.woff2)\)/.exec(sources);
    if (!woff2) return `src:${sources}`;
    const data = fs.readFileSync(path.join(dist, woff2[1])).toString('base64');
    return `src:url(data:font/woff2;base64,${data}) format("woff2")`;
  });
}

/** Publish the KaTeX stylesheet once per kernel. */
export function ensureKatexStylesheet(): void {
  if (stylesheetPublished || !inNotebook()) return;
  publish({ 'text/html': `<style>${katexStylesheet()}</style>`, 'text/plain': '' });
  stylesheetPublished = true;
}

export interface MathOptions {
  /** Display (block) math, centred on its own line; default true. */
  displayMode?: boolean;
}

/** The MIME bundle of a TeX expression; throws on TeX that KaTeX cannot parse. */
export function mathBundle(tex: string, options: MathOptions = {}): MimeBundle {
  if (typeof tex !== 'string' || tex.trim() === '') {
    throw new TypeError('mathBundle: tex must be a non-empty string of TeX');
  }
  const displayMode = options.displayMode ?? true;
  const rendered = katex.renderToString(tex, { displayMode, output: 'htmlAndMathml', throwOnError: true, strict: 'ignore' });
  const delimiter = displayMode ? '$$' : '$';
  const source = `${delimiter}${tex}${delimiter}`;
  const box = displayMode ? 'div' : 'span';
  const shown = displayMode ? 'block' : 'inline';
  const html =
    `<${box} class="elbo-lab-math">` +
    `<style>.elbo-lab-math-katex{display:${shown}!important}.elbo-lab-math-tex{display:none!important}</style>` +
    `<${box} class="elbo-lab-math-katex" hidden style="display:none">${rendered}</${box}>` +
    `<${box} class="elbo-lab-math-tex">${escapeHtml(source)}</${box}>` +
    `</${box}>`;
  return { 'text/html': html, 'text/latex': source, 'text/plain': tex };
}

/** Show an equation in the notebook (or print its TeX outside one). */
export function showMath(tex: string, options: MathOptions = {}): void {
  const bundle = mathBundle(tex, options);
  ensureKatexStylesheet();
  publish(bundle);
}
