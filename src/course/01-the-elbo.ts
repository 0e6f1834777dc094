/** Course module of notebook 01-the-elbo: its experiments and figures (uses the library; the library never imports it). */
export {};
