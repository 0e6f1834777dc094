/** Course module of notebook 03-the-gap: its experiments and figures (uses the library; the library never imports it). */
export {};
