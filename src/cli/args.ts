/**
 * Command-line flags, read the same way by every `djust` command: `--flag value` or
 * `--flag=value`, `-h`/`--help`, and one message per mistake.
 * @module
 */

/**
 * What a command does with one flag: `true` when it took it, a message when its value is wrong,
 * `false` when the command has no such flag.
 */
export type FlagHandler = (flag: string, value: () => string | undefined) => boolean | string;

/**
 * Walks `argv`, handing each flag to `handle` (`value()` reads the flag's value: the text after
 * `=`, else the next argument). Returns the first mistake's message, or `undefined`.
 */
export function readFlags(argv: readonly string[], handle: FlagHandler): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [flag, inline] =
      arg.startsWith("--") && arg.includes("=") ? arg.split(/=(.*)/s, 2) : [arg, undefined];
    const handled = handle(flag as string, () => inline ?? argv[++i]);
    if (handled === false) return `unknown argument ${JSON.stringify(arg)}`;
    if (typeof handled === "string") return handled;
  }
  return undefined;
}

/** `--help` or `-h`. */
export function isHelp(flag: string): boolean {
  return flag === "--help" || flag === "-h";
}

/** Hands a flag's non-empty value to `set`; else the message saying what it needs. */
export function text(
  flag: string,
  value: string | undefined,
  what: string,
  set: (value: string) => void,
): true | string {
  if (!value) return `${flag} needs ${what}`;
  set(value);
  return true;
}

/** Hands a flag's integer value from `min` to 65535 (ports, worker counts) to `set`. */
export function integer(
  flag: string,
  value: string | undefined,
  min: number,
  set: (value: number) => void,
): true | string {
  const n = Number(value);
  if (value === undefined || !/^\d+$/.test(value) || n < min || n > 65535) {
    return `${flag} needs an integer from ${min} to 65535, got ${JSON.stringify(value ?? "")}`;
  }
  set(n);
  return true;
}
