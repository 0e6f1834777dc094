/** Course module of notebook 06-summary: its experiments and figures (uses the library; the library never imports it). */
export {};
