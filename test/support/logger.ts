import type { Logger, LogMeta } from "../../src/logger.js";

/** A logger that records what it is told, for assertions. */
export class CapturingLogger implements Logger {
  readonly lines: { level: "info" | "warn" | "error"; message: string; meta?: LogMeta }[] = [];
  info(message: string, meta?: LogMeta): void {
    this.lines.push({ level: "info", message, ...(meta && { meta }) });
  }
  warn(message: string, meta?: LogMeta): void {
    this.lines.push({ level: "warn", message, ...(meta && { meta }) });
  }
  error(message: string, meta?: LogMeta): void {
    this.lines.push({ level: "error", message, ...(meta && { meta }) });
  }
  get warnings() {
    return this.lines.filter((line) => line.level === "warn");
  }
}
