/**
 * HTML escaping shared by both template front ends.
 * @module
 */

/** A string that is already HTML and must not be escaped again (`|safe`, `html`, `markSafe`). */
export class SafeString {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/** Marks `value` as safe HTML. Only use it on text you produced or sanitised yourself. */
export function markSafe(value: string): SafeString {
  return new SafeString(value);
}

const ESCAPES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#x27;",
};

const NEEDS_ESCAPE = /[&<>"']/;

/** Escapes `& < > " '` the way Django's `escape` filter does. */
export function escapeHtml(text: string): string {
  // Most values need no escaping; testing first skips the replace-with-callback machinery.
  return NEEDS_ESCAPE.test(text) ? text.replace(/[&<>"']/g, (ch) => ESCAPES[ch] ?? ch) : text;
}

/** Converts any value to escaped HTML text; a {@link SafeString} passes through unchanged. */
export function toHtml(value: unknown): string {
  if (value instanceof SafeString) return value.value;
  if (value === null || value === undefined) return "";
  return escapeHtml(String(value));
}
