/** Course module of notebook 05-the-balance: its experiments and figures (uses the library; the library never imports it). */
export {};
