// TeX in Markdown, typeset at build time with KaTeX. Math is cut out of the Markdown before it is
// rendered (so `_`, `*` and `\\` inside math are not taken as Markdown) and put back as KaTeX HTML.
'use strict';

const katex = require('katex');

const TOKEN = /ELBOMATH(\d+)X/g;

/** Replace $$…$$ (display) and $…$ (inline) outside code by placeholders; returns the text and the spans. */
function extractMath(markdown) {
  if (typeof markdown !== 'string') throw new TypeError('extractMath: markdown must be a string');
  const spans = [];
  const out = [];
  let i = 0;
  let fenced = false;
  const keep = (tex, display) => {
    spans.push({ tex, display });
    return `ELBOMATH${spans.length - 1}X`;
  };
  while (i < markdown.length) {
    const lineStart = i === 0 || markdown[i - 1] === '\n';
    if (lineStart && /^ {0,3}(```|~~~)/.test(markdown.slice(i, i + 6))) {
      fenced = !fenced;
    }
    if (fenced) {
      const end = markdown.indexOf('\n', i);
      const stop = end < 0 ? markdown.length : end + 1;
      out.push(markdown.slice(i, stop));
      i = stop;
      continue;
    }
    const c = markdown[i];
    if (c === '\\' && i + 1 < markdown.length) {
      out.push(markdown.slice(i, i + 2));
      i += 2;
    } else if (c === '`') {
      const run = /^`+/.exec(markdown.slice(i))[0];
      const close = markdown.indexOf(run, i + run.length);
      const stop = close < 0 ? i + run.length : close + run.length;
      out.push(markdown.slice(i, stop));
      i = stop;
    } else if (markdown.startsWith('$$', i)) {
      const close = markdown.indexOf('$$', i + 2);
      if (close < 0) throw new Error(`extractMath: unclosed $$ near «${markdown.slice(i, i + 40)}»`);
      out.push(keep(markdown.slice(i + 2, close).trim(), true));
      i = close + 2;
    } else if (c === '$') {
      const close = inlineClose(markdown, i);
      if (close < 0) {
        out.push(c);
        i += 1;
      } else {
        out.push(keep(markdown.slice(i + 1, close), false));
        i = close + 1;
      }
    } else {
      out.push(c);
      i += 1;
    }
  }
  return { text: out.join(''), spans };
}

/** Index of the $ closing the inline math opened at `open`, or -1 (Pandoc's rules: no space
 * inside either delimiter, no digit right after the closing one, no blank line or backtick in between). */
function inlineClose(text, open) {
  if (/\s/.test(text[open + 1] || ' ')) return -1;
  for (let j = open + 1; j < text.length; j++) {
    if (text[j] === '\\') { j += 1; continue; }
    if (text[j] === '`' || (text[j] === '\n' && text[j + 1] === '\n')) return -1;
    if (text[j] === '$') {
      if (/\s/.test(text[j - 1]) || /\d/.test(text[j + 1] || '')) return -1;
      return j;
    }
  }
  return -1;
}

/** KaTeX HTML+MathML for one span; `where` names the place in errors. */
function typeset(span, where) {
  try {
    return katex.renderToString(span.tex, { displayMode: span.display, output: 'htmlAndMathml', throwOnError: true, strict: 'ignore' });
  } catch (error) {
    throw new Error(`${where}: KaTeX cannot typeset «${span.tex}»: ${error.message}`);
  }
}

/** Put the math back into rendered HTML: KaTeX in text, plain letters inside attributes (ids, hrefs). */
function restoreMath(html, spans, where = 'restoreMath') {
  const plain = (n) => spans[n].tex.replace(/\\[a-zA-Z]+/g, '').replace(/[^A-Za-z0-9]+/g, '');
  const inAttributes = html.replace(/="[^"]*"/g, (attribute) => attribute.replace(TOKEN, (_m, n) => plain(Number(n))));
  return inAttributes.replace(TOKEN, (_m, n) => {
    const span = spans[Number(n)];
    if (!span) throw new Error(`${where}: placeholder ${n} has no math span`);
    return typeset(span, where);
  });
}

module.exports = { extractMath, restoreMath, typeset };
