// The book's table of contents: the structure of the course text (its numbered sections and their
// steps and reasons, in order), each entry pointing at the notebook that computes it and, for the
// sub-entries, at the notebook heading that starts with `heading`. Titles are our own short
// wording of the text's headings; the build fails when a notebook or a heading is not found.
'use strict';

const TOC = [
  { level: 1, title: 'Start here: notation, engines, the equation of the course', notebook: '00-start-here' },
  { level: 2, title: 'Notation', notebook: '00-start-here', heading: 'Notation' },
  { level: 1, title: '1. The ELBO equation', notebook: '01-the-elbo' },
  { level: 1, title: '2. Deriving the ELBO, step by step', notebook: '02-derivation' },
  { level: 2, title: 'Step 1: the marginal likelihood', notebook: '02-derivation', heading: 'Step 1' },
  { level: 2, title: 'Step 2: bringing in the approximate posterior', notebook: '02-derivation', heading: 'Step 2' },
  { level: 2, title: 'Step 3: an expectation under $q_\\phi$', notebook: '02-derivation', heading: 'Step 3' },
  { level: 2, title: "Step 4: Jensen's inequality", notebook: '02-derivation', heading: 'Step 4' },
  { level: 2, title: 'Step 5: the log ratio, expanded', notebook: '02-derivation', heading: 'Step 5' },
  { level: 2, title: 'Step 6: the joint, factored', notebook: '02-derivation', heading: 'Step 6' },
  { level: 2, title: 'Step 7: the ELBO form', notebook: '02-derivation', heading: 'Step 7' },
  { level: 1, title: '3. The gap and what it costs', notebook: '03-the-gap' },
  { level: 1, title: '4. Why $q(z\\mid x)$ should stay near $p(z)$', notebook: '04-why-q-near-the-prior' },
  { level: 2, title: 'Reason 1: generation', notebook: '04-why-q-near-the-prior', heading: 'Reason 1' },
  { level: 2, title: 'Reason 2: no memorisation', notebook: '04-why-q-near-the-prior', heading: 'Reason 2' },
  { level: 2, title: 'Reason 3: a smooth latent space', notebook: '04-why-q-near-the-prior', heading: 'Reason 3' },
  { level: 1, title: '5. The two terms in balance', notebook: '05-the-balance' },
  { level: 1, title: '6. Summary', notebook: '06-summary' },
];

/** The notebooks of the book, in reading order (first appearance in the table of contents). */
function bookNotebooks(toc = TOC) {
  return [...new Set(toc.map((entry) => entry.notebook))];
}

module.exports = { TOC, bookNotebooks };
