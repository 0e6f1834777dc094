/** Course module of notebook 00-start-here: its experiments and figures (uses the library; the library never imports it). */
export {};
