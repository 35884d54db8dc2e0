// TC39 decorator metadata needs `Symbol.metadata`, which Node 20 lacks. esbuild/tsx and Babel
// fall back to `Symbol.for("Symbol.metadata")`, so using the same registered symbol keeps every
// toolchain reading and writing one metadata object. Imported first by every package entry.
const symbolCtor = Symbol as { metadata?: symbol };
symbolCtor.metadata ??= Symbol.for("Symbol.metadata");

export {};
