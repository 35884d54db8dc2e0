/**
 * Decides whether a TypeScript type can be public view state, by walking it.
 *
 * Why not `checker.isTypeAssignableTo(type, Serializable)`: interfaces have no implicit index
 * signature, so a perfectly serializable `interface Row { id: number }` is not assignable to
 * `{ [key: string]: Serializable }`; and a class instance with only data fields *is* assignable,
 * although the codec refuses it at runtime. The walk mirrors the codec's `classify()` instead.
 * @module
 */
import { dirname } from "node:path";
import ts from "typescript";
import { LIVE_VIEW_FILE } from "./views.js";

/** The outcome of checking one type. `path` locates the culprit inside it (`.items[].fn`). */
export type Verdict =
  | { readonly kind: "ok" }
  /** `any`, `unknown` or `object`: nothing is known, so nothing can be proven. */
  | { readonly kind: "loose"; readonly typeName: string; readonly path: string }
  | {
      readonly kind: "bad";
      /** The offending (sub)type as TypeScript prints it. */
      readonly typeName: string;
      /** Why it is not serializable, as a noun phrase ("a function"). */
      readonly reason: string;
      readonly path: string;
    };

const OK: Verdict = { kind: "ok" };

const MAX_DEPTH = 16;

const OK_FLAGS =
  ts.TypeFlags.Never |
  ts.TypeFlags.StringLike |
  ts.TypeFlags.NumberLike |
  ts.TypeFlags.BooleanLike |
  ts.TypeFlags.BigIntLike |
  ts.TypeFlags.EnumLike |
  ts.TypeFlags.Null |
  ts.TypeFlags.Undefined |
  ts.TypeFlags.Void;

const PRIMITIVE_FLAGS = OK_FLAGS & ~ts.TypeFlags.Never;

const ITERATORS = new Set([
  "Generator",
  "AsyncGenerator",
  "Iterator",
  "AsyncIterator",
  "IterableIterator",
  "AsyncIterableIterator",
  "IteratorObject",
  "AsyncIteratorObject",
  "ArrayIterator",
  "MapIterator",
  "SetIterator",
  "StringIterator",
  "Iterable",
  "AsyncIterable",
]);

const WEAK = new Set(["WeakMap", "WeakSet", "WeakRef", "FinalizationRegistry"]);

/** The first `bad` verdict, else the first `loose` one, else OK; stops at the first `bad`. */
function worst(verdicts: readonly (() => Verdict)[]): Verdict {
  let loose: Verdict | undefined;
  for (const next of verdicts) {
    const verdict = next();
    if (verdict.kind === "bad") return verdict;
    if (verdict.kind === "loose") loose ??= verdict;
  }
  return loose ?? OK;
}

function prefixed(verdict: Verdict, prefix: string): Verdict {
  if (verdict.kind === "ok" || prefix === "") return verdict;
  return { ...verdict, path: prefix + verdict.path };
}

/** Walks types for one program. Results are memoised per type. */
export class TypeWalker {
  readonly #checker: ts.TypeChecker;
  readonly #program: ts.Program;
  readonly #registered: ReadonlySet<ts.Symbol>;
  readonly #memo = new Map<ts.Type, Verdict>();
  readonly #inProgress = new Set<ts.Type>();
  /** Directory of djust's own sources/declarations (`…/src/` or `…/dist/`), if found. */
  readonly #djustRoot: string | undefined;

  /**
   * @param registered symbols of the classes augmented into djust's `SerializableTypes`
   * (see {@link registeredClasses}).
   */
  constructor(program: ts.Program, registered: ReadonlySet<ts.Symbol>) {
    this.#program = program;
    this.#checker = program.getTypeChecker();
    this.#registered = registered;
    // LiveView's grandparent directory holds all of djust (`…/src/` or `…/dist/`).
    const liveView = program.getSourceFiles().find((sf) => LIVE_VIEW_FILE.test(sf.fileName));
    this.#djustRoot = liveView && dirname(dirname(liveView.fileName)) + "/";
  }

  /** Whether values of `type` survive the state codec. */
  check(type: ts.Type): Verdict {
    return this.#walk(type, 0);
  }

  /** `true` for string/number/boolean/bigint/null/undefined types and their literals. */
  isPrimitive(type: ts.Type): boolean {
    if (type.isUnion()) return type.types.every((t) => this.isPrimitive(t));
    return (type.flags & PRIMITIVE_FLAGS) !== 0;
  }

  #walk(type: ts.Type, depth: number): Verdict {
    if (depth > MAX_DEPTH) return OK;
    const flags = type.flags;
    if (flags & ts.TypeFlags.Any) return { kind: "loose", typeName: "any", path: "" };
    if (flags & ts.TypeFlags.Unknown) return { kind: "loose", typeName: "unknown", path: "" };
    if (flags & OK_FLAGS) return OK;
    if (flags & ts.TypeFlags.ESSymbolLike) return this.#bad(type, "a symbol");
    if (flags & ts.TypeFlags.NonPrimitive) return { kind: "loose", typeName: "object", path: "" };
    if (type.isUnion()) {
      let loose: Verdict | undefined;
      for (const member of type.types) {
        const verdict = this.#walk(member, depth + 1);
        if (verdict.kind === "bad") return verdict;
        if (verdict.kind === "loose") loose ??= verdict;
      }
      return loose ?? OK;
    }
    if (type.isIntersection()) {
      // Branded primitives (`string & { __brand: "Uuid" }`) are primitives at runtime.
      if (type.types.some((t) => t.flags & PRIMITIVE_FLAGS)) return OK;
      return this.#object(type, depth);
    }
    if (flags & ts.TypeFlags.TypeParameter) {
      // An unconstrained type parameter is decided where the view is instantiated, which a
      // static check cannot see; only a constraint can be checked here.
      const constraint = this.#checker.getBaseConstraintOfType(type);
      return constraint && constraint !== type ? this.#walk(constraint, depth + 1) : OK;
    }
    if (flags & ts.TypeFlags.Object) return this.#object(type, depth);
    return OK;
  }

  #bad(type: ts.Type, reason: string): Verdict {
    return { kind: "bad", typeName: this.#checker.typeToString(type), reason, path: "" };
  }

  #object(type: ts.Type, depth: number): Verdict {
    const memo = this.#memo.get(type);
    if (memo) return memo;
    // A recursive type (a tree of rows) is fine as long as each level is.
    if (this.#inProgress.has(type)) return OK;
    this.#inProgress.add(type);
    try {
      const verdict = this.#objectUncached(type, depth);
      this.#memo.set(type, verdict);
      return verdict;
    } finally {
      this.#inProgress.delete(type);
    }
  }

  #isLib(symbol: ts.Symbol): boolean {
    return (symbol.declarations ?? []).some((d) =>
      this.#program.isSourceFileDefaultLibrary(d.getSourceFile()),
    );
  }

  #isRegistered(type: ts.Type): boolean {
    if (this.#registered.size === 0) return false;
    let current: ts.Type | undefined = type;
    for (let i = 0; current && i < 32; i++) {
      const target: ts.Type = (current as ts.TypeReference).target ?? current;
      const symbol = target.getSymbol();
      if (symbol && this.#registered.has(symbol)) return true;
      if (!(symbol && symbol.flags & ts.SymbolFlags.Class)) return false;
      current = this.#checker.getBaseTypes(target as ts.InterfaceType)[0];
    }
    return false;
  }

  #objectUncached(type: ts.Type, depth: number): Verdict {
    const checker = this.#checker;
    if (this.#isRegistered(type)) return OK;
    const toJSON = checker.getPropertyOfType(type, "toJSON");
    if (toJSON && checker.getTypeOfSymbol(toJSON).getCallSignatures().length > 0) return OK;
    if (type.getCallSignatures().length > 0) return this.#bad(type, "a function");
    if (type.getConstructSignatures().length > 0) return this.#bad(type, "a class (constructor)");

    if (checker.isTupleType(type)) {
      const items = checker.getTypeArguments(type as ts.TypeReference);
      return worst(items.map((item, i) => () => prefixed(this.#walk(item, depth + 1), `[${i}]`)));
    }
    if (checker.isArrayType(type)) {
      const [item] = checker.getTypeArguments(type as ts.TypeReference);
      return item ? prefixed(this.#walk(item, depth + 1), "[]") : OK;
    }

    const symbol = type.getSymbol();
    const name = symbol?.name ?? "";
    if (symbol && this.#isLib(symbol)) {
      const args = checker.getTypeArguments(type as ts.TypeReference);
      if (name === "Set" || name === "ReadonlySet") {
        return args[0] ? prefixed(this.#walk(args[0], depth + 1), "[]") : OK;
      }
      if (name === "Map" || name === "ReadonlyMap") {
        const [key, value] = args;
        if (key && !this.#isStringKey(key)) return this.#bad(type, "a Map with non-string keys");
        return value ? prefixed(this.#walk(value, depth + 1), "[value]") : OK;
      }
      if (name === "Promise" || name === "PromiseLike") {
        return this.#bad(type, "a Promise (await it and store the result)");
      }
      if (ITERATORS.has(name)) {
        return this.#bad(type, "an iterator or generator (collect it into an array)");
      }
      if (WEAK.has(name)) return this.#bad(type, `a ${name} (weak collections cannot be encoded)`);
      // Errors look like plain data to a structural walk, but the codec refuses them (their
      // prototype is not Object.prototype and they have no toJSON()).
      if (/Error$/.test(name)) {
        const article = /^[AEIOU]/.test(name) ? "an" : "a";
        return this.#bad(type, `${article} ${name} object (store its message instead)`);
      }
    }
    if (symbol && symbol.flags & ts.SymbolFlags.Class) {
      return this.#bad(
        type,
        `an instance of class ${name}, which has no toJSON() and is not registered with registerType()`,
      );
    }

    const properties = checker.getPropertiesOfType(type);
    const method = properties.find((p) => p.flags & ts.SymbolFlags.Method);
    if (method) return this.#bad(type, `an object with methods (${method.name}())`);
    const verdict = worst([
      ...properties.map(
        (p) => () => prefixed(this.#walk(checker.getTypeOfSymbol(p), depth + 1), `.${p.name}`),
      ),
      ...checker
        .getIndexInfosOfType(type)
        .map((info) => () => prefixed(this.#walk(info.type, depth + 1), "[key]")),
    ]);
    // djust's own state types (e.g. FormState) hold `unknown` by design: the values in them
    // come from the user and are checked at runtime, so only a definite problem is reported.
    if (verdict.kind === "loose" && symbol && this.#isDjust(symbol)) return OK;
    return verdict;
  }

  #isDjust(symbol: ts.Symbol): boolean {
    const root = this.#djustRoot;
    const declarations = symbol.declarations ?? [];
    return (
      root !== undefined &&
      declarations.length > 0 &&
      declarations.every((d) => d.getSourceFile().fileName.startsWith(root))
    );
  }

  #isStringKey(key: ts.Type): boolean {
    if (key.isUnion()) return key.types.every((t) => this.#isStringKey(t));
    return (key.flags & ts.TypeFlags.StringLike) !== 0;
  }
}

const SERIALIZABLE_FILE = /[\\/]state[\\/]serializable\.(?:d\.)?[cm]?ts$/;

/**
 * The classes users declared serializable by augmenting djust's `SerializableTypes`
 * interface (`declare module "djust" { interface SerializableTypes { money: Money } }`).
 */
export function registeredClasses(program: ts.Program): Set<ts.Symbol> {
  const checker = program.getTypeChecker();
  const out = new Set<ts.Symbol>();
  for (const sf of program.getSourceFiles()) {
    if (!SERIALIZABLE_FILE.test(sf.fileName)) continue;
    for (const statement of sf.statements) {
      if (!ts.isInterfaceDeclaration(statement) || statement.name.text !== "SerializableTypes")
        continue;
      const symbol = checker.getSymbolAtLocation(statement.name);
      if (!symbol) continue;
      const declared = checker.getDeclaredTypeOfSymbol(symbol);
      for (const property of checker.getPropertiesOfType(declared)) {
        const type = checker.getTypeOfSymbol(property);
        for (const member of type.isUnion() ? type.types : [type]) {
          const target = (member as ts.TypeReference).target ?? member;
          const memberSymbol = target.getSymbol();
          if (memberSymbol) out.add(memberSymbol);
        }
      }
    }
  }
  return out;
}
