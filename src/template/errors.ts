/**
 * Errors raised by the Django-template-language front end.
 * @module
 */

/** Where something sits in a template source. Lines and columns are 1-based. */
export interface SourceLocation {
  readonly templateName: string;
  readonly line: number;
  readonly column: number;
  /** The text of the whole line, for the caret excerpt. */
  readonly lineText: string;
}

function excerpt(loc: SourceLocation): string {
  // Tabs would shift the caret; replacing them keeps the caret under the right character.
  const text = loc.lineText.replace(/\t/g, " ");
  return `\n  ${text}\n  ${" ".repeat(Math.max(0, loc.column - 1))}^`;
}

/**
 * A template could not be compiled: bad syntax, unknown tag or filter, wrong arguments, a
 * missing or recursive `include`/`extends`. The message starts with `name:line:column` and ends
 * with the offending line and a caret under the column. Compiling never throws anything else.
 */
export class TemplateSyntaxError extends Error {
  /** Name of the template the error is in (file name relative to its dir, or `<string>`). */
  readonly templateName: string;
  /** 1-based line of the error; 0 when the error is not tied to a position. */
  readonly line: number;
  /** 1-based column of the error; 0 when the error is not tied to a position. */
  readonly column: number;
  /** The message without the location prefix and excerpt. */
  readonly reason: string;

  constructor(reason: string, location: SourceLocation | { templateName: string }) {
    const positioned = "line" in location;
    super(
      positioned
        ? `${location.templateName}:${location.line}:${location.column}: ${reason}${excerpt(location)}`
        : `${location.templateName}: ${reason}`,
    );
    this.name = "TemplateSyntaxError";
    this.templateName = location.templateName;
    this.line = positioned ? location.line : 0;
    this.column = positioned ? location.column : 0;
    this.reason = reason;
  }
}

/**
 * A template name did not resolve to a file in any template dir (or tried to leave them).
 * It is a {@link TemplateSyntaxError} so that one `catch` covers every compile failure; when it
 * comes from an `{% include %}`/`{% extends %}` its position is that tag's.
 */
export class TemplateDoesNotExist extends TemplateSyntaxError {
  /** The template name that was looked up. */
  readonly missingName: string;
  /** The directories that were searched, in order. */
  readonly tried: readonly string[];

  constructor(
    missingName: string,
    tried: readonly string[],
    location: SourceLocation | { templateName: string },
  ) {
    super(
      `template "${missingName}" does not exist (searched: ${tried.length > 0 ? tried.join(", ") : "no template dirs"})`,
      location,
    );
    this.name = "TemplateDoesNotExist";
    this.missingName = missingName;
    this.tried = tried;
  }
}

/**
 * A failure while rendering a compiled template that the template itself caused, such as a
 * `{% url %}` whose route name is unknown. Exceptions thrown by user code (methods called from a
 * template) propagate unchanged instead.
 */
export class TemplateRenderError extends Error {
  /** Template and position of the tag that failed. */
  readonly location: SourceLocation;

  constructor(reason: string, location: SourceLocation, options?: { cause?: unknown }) {
    super(
      `${location.templateName}:${location.line}:${location.column}: ${reason}${excerpt(location)}`,
      options,
    );
    this.name = "TemplateRenderError";
    this.location = location;
  }
}
