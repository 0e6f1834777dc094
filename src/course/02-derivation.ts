/** Course module of notebook 02-derivation: its experiments and figures (uses the library; the library never imports it). */
export {};
