/** Course module of notebook 04-why-q-near-the-prior: its experiments and figures (uses the library; the library never imports it). */
export {};
