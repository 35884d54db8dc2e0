/**
 * What compiling a node list knows: the loader it compiles for ({@link CompileHost}) and the
 * environment a node is compiled in ({@link Env}: locals, autoescape, the extends chain's
 * blocks, change-tracking bookkeeping).
 * @module
 */
import type { BlockNode, Node, ParsedTemplate, Pos } from "./ast.js";
import type { FragmentCache } from "./fragment-cache.js";
import type { Fragment } from "./fragment.js";
import type { Translations } from "./i18n.js";
import type { RowReads } from "./tracking.js";

/** What the compiler needs from the loader. */
export interface CompileHost {
  /** Parses the template `name` for an include/extends at `from`; throws TemplateSyntaxError. */
  load(name: string, from: Pos): ParsedTemplate;
  /** Active language (`{% trans %}`, `get_current_language`); `{% language %}` overrides it. */
  readonly language?: string;
  /** Message catalogs of the translation tags. */
  readonly translations?: Translations;
  /** Prefix of `{% static %}` (Django's `STATIC_URL`) and `get_media_prefix` (`MEDIA_URL`). */
  readonly staticUrl?: string;
  readonly mediaUrl?: string;
  readonly urlFor:
    ((name: string, args: unknown[], kwargs?: Record<string, unknown>) => string) | undefined;
  /** Whether loops may reuse unchanged rows from their previous render (see `loop.ts`). */
  readonly loopMemo: boolean;
  /** IANA time zone dates are shown in (DESIGN §4: the app's `timeZone`); default `"UTC"`. */
  readonly timeZone?: string;
  /** Locale of named date formats (`DATE_FORMAT`, ...); default `"en"`. */
  readonly locale?: string;
  /** Whether `{{ }}` localizes dates and numbers (`{% localize off %}` turns it off). */
  readonly localize?: boolean;
  /** Whether `{% debug %}` shows the context (Django's `DEBUG`); default `false`. */
  readonly debug?: boolean;
  /** The loader's caches of `{% cache %}`, by name (`default` always among them). */
  readonly fragmentCaches: ReadonlyMap<string, FragmentCache>;
}

/** The environment a node is compiled in. */
export interface Env {
  readonly host: CompileHost;
  readonly locals: ReadonlySet<string>;
  readonly autoescape: boolean;
  /** Block overrides of the extends chain: name → bodies from most derived to base. */
  readonly blocks: ReadonlyMap<string, readonly BlockNode[]> | undefined;
  /** Inside a block: the less-derived versions `{{ block.super }}` refers to. */
  readonly superChain: readonly BlockNode[] | undefined;
  /** Templates being compiled (include/extends chain), for recursion detection. */
  readonly stack: readonly string[];
  /** Set when an expression compiled under the innermost loop uses a non-pure filter. */
  readonly purity: { impure: boolean };
  /** Fields of enclosing loop variables that expressions read (innermost loop first). */
  readonly rowReads: RowReads | undefined;
  /**
   * Compiles a node list into a fragment: the compiler's own entry point, handed down so that the
   * rules of tags with bodies (`if`, `for`, `with`, `spaceless`) can compile them without
   * importing the compiler module, which imports them.
   */
  readonly compileBody: (nodes: readonly Node[], env: Env) => Fragment;
}
