/** A file's text, as Vite's `?raw` suffix imports it (the runtime thread's source). */
declare module '*.cjs?raw' {
  const source: string;
  export default source;
}
