/**
 * Loads an ES module with Node's native import(). TypeScript compiles `import()` to `require()` in
 * this CommonJS project, and require() cannot load ES modules that use top-level await
 * (node-llama-cpp does); a function built at run time keeps the real import().
 */
// eslint-disable-next-line @typescript-eslint/no-implied-eval
export const importEsm = new Function('specifier', 'return import(specifier)') as <T>(
  specifier: string,
) => Promise<T>;
