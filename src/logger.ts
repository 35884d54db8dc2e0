/**
 * The logger the framework writes warnings and errors to (`createApp({ logger })`).
 * @module
 */

/** Structured fields attached to a log line, e.g. `{ view, field, type }`. */
export type LogMeta = Readonly<Record<string, unknown>>;

/** Where djust writes what it has to say. Any `console`-like object fits. */
export interface Logger {
  info(message: string, meta?: LogMeta): void;
  warn(message: string, meta?: LogMeta): void;
  error(message: string, meta?: LogMeta): void;
}

function write(level: string, message: string, meta?: LogMeta): void {
  const suffix = meta && Object.keys(meta).length > 0 ? ` ${JSON.stringify(meta)}` : "";
  process.stderr.write(`${level} [djust] ${message}${suffix}\n`);
}

/** The default logger: one line per message on stderr. */
export const stderrLogger: Logger = {
  info: (message, meta) => write("INFO", message, meta),
  warn: (message, meta) => write("WARNING", message, meta),
  error: (message, meta) => write("ERROR", message, meta),
};

/**
 * What a log line says about a failure: its stack (which starts with the message), and the
 * causes it wraps. `String(error)` alone loses both, and a bare `Error` logs as "Error".
 */
export function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const text = error.stack ?? `${error.name}: ${error.message}`;
  return error.cause === undefined ? text : `${text}\nCaused by: ${errorText(error.cause)}`;
}
