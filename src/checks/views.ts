/**
 * Finds the LiveView subclasses of a project and answers questions about their members,
 * following inheritance through the type checker (so base views may live in other files or
 * packages).
 * @module
 */
import ts from "typescript";
import type { Project } from "./project.js";

/** A class of the project that extends djust's `LiveView`, directly or through other views. */
export interface ViewClass {
  readonly name: string;
  readonly node: ts.ClassLikeDeclaration;
  readonly sourceFile: ts.SourceFile;
  /** The instance type (includes inherited members). */
  readonly type: ts.InterfaceType;
  /** Declared `abstract`: never registered itself, so it has no slug of its own. */
  readonly isAbstract: boolean;
}

// djust is reached either through the package (dist/*.d.ts) or, inside this repo and in tests,
// through its sources; both keep the file layout, so the declaring file identifies the class.
/** The file declaring djust's `LiveView`, in its sources or its published declarations. */
export const LIVE_VIEW_FILE = /[\\/]view[\\/]live-view\.(?:d\.)?[cm]?ts$/;
const DECORATORS_FILE = /[\\/]view[\\/]decorators\.(?:d\.)?[cm]?ts$/;

/** `true` when `declaration` is djust's own `LiveView` class. */
export function isLiveViewDeclaration(declaration: ts.Declaration | undefined): boolean {
  return (
    declaration !== undefined &&
    ts.isClassDeclaration(declaration) &&
    declaration.name?.text === "LiveView" &&
    LIVE_VIEW_FILE.test(declaration.getSourceFile().fileName)
  );
}

/** `true` when `node` is declared in djust's LiveView base class file. */
export function isInLiveViewFile(node: ts.Node): boolean {
  return LIVE_VIEW_FILE.test(node.getSourceFile().fileName);
}

/** The class declarations `type` derives from, nearest first (not including `type` itself). */
export function baseClassDeclarations(
  checker: ts.TypeChecker,
  type: ts.InterfaceType,
): ts.ClassLikeDeclaration[] {
  const out: ts.ClassLikeDeclaration[] = [];
  const seen = new Set<ts.Type>([type]);
  let current: ts.Type | undefined = type;
  while (current) {
    const target: ts.Type =
      (current as ts.TypeReference).target !== undefined
        ? (current as ts.TypeReference).target
        : current;
    if (
      !(target.flags & ts.TypeFlags.Object) ||
      !((target as ts.ObjectType).objectFlags & ts.ObjectFlags.ClassOrInterface)
    )
      break;
    const bases = checker.getBaseTypes(target as ts.InterfaceType);
    const base: ts.BaseType | undefined = bases[0];
    if (!base || seen.has(base)) break;
    seen.add(base);
    const declaration = base.getSymbol()?.declarations?.find(ts.isClassLike);
    if (declaration) out.push(declaration);
    current = base;
  }
  return out;
}

/** `true` when the instance type derives from djust's `LiveView`. */
function extendsLiveView(checker: ts.TypeChecker, type: ts.InterfaceType): boolean {
  return baseClassDeclarations(checker, type).some(isLiveViewDeclaration);
}

/** Every view class declared in the project's analysed files. */
export function findViews(project: Project): ViewClass[] {
  const { checker } = project;
  const views: ViewClass[] = [];
  const visit = (node: ts.Node): void => {
    if (
      ts.isClassLike(node) &&
      node.heritageClauses?.some((h) => h.token === ts.SyntaxKind.ExtendsKeyword)
    ) {
      const symbol = node.name
        ? checker.getSymbolAtLocation(node.name)
        : checker.getTypeAtLocation(node).getSymbol();
      const type = symbol
        ? (checker.getDeclaredTypeOfSymbol(symbol) as ts.InterfaceType)
        : undefined;
      if (type && extendsLiveView(checker, type)) {
        views.push({
          name: className(node),
          node,
          sourceFile: node.getSourceFile(),
          type,
          isAbstract: hasModifier(node, ts.SyntaxKind.AbstractKeyword),
        });
      }
    }
    ts.forEachChild(node, visit);
  };
  for (const sf of project.sourceFiles) visit(sf);
  return views;
}

/** The class's name, or the name of the variable a class expression is assigned to. */
export function className(node: ts.ClassLikeDeclaration): string {
  if (node.name) return node.name.text;
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  return "(anonymous view)";
}

/** `true` when `node` carries the modifier `kind`. */
export function hasModifier(node: ts.Node, kind: ts.SyntaxKind): boolean {
  return (
    ts.canHaveModifiers(node) && (ts.getModifiers(node)?.some((m) => m.kind === kind) ?? false)
  );
}

/**
 * `true` for a class field that becomes an own property of each instance at runtime: not
 * static, not an `accessor` (whose storage is private and whose getter lives on the prototype).
 */
export function isInstanceField(node: ts.Node): node is ts.PropertyDeclaration {
  return (
    ts.isPropertyDeclaration(node) &&
    !hasModifier(node, ts.SyntaxKind.StaticKeyword) &&
    !hasModifier(node, ts.SyntaxKind.AccessorKeyword)
  );
}

/** The text of a member name that is an identifier or a string/number literal. */
export function memberName(name: ts.PropertyName | undefined): string | undefined {
  if (!name) return undefined;
  if (ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name))
    return name.text;
  if (ts.isPrivateIdentifier(name)) return name.text;
  return undefined;
}

/**
 * A `static` property named `name` of the view or its nearest base class that declares it.
 * Stops at djust's `LiveView`, whose defaults are not user decisions.
 */
export function findStatic(
  checker: ts.TypeChecker,
  view: ViewClass,
  name: string,
): { declaration: ts.PropertyDeclaration; owner: ts.ClassLikeDeclaration } | undefined {
  for (const cls of [view.node, ...baseClassDeclarations(checker, view.type)]) {
    if (isLiveViewDeclaration(cls)) return undefined;
    for (const member of cls.members) {
      if (
        ts.isPropertyDeclaration(member) &&
        hasModifier(member, ts.SyntaxKind.StaticKeyword) &&
        memberName(member.name) === name
      ) {
        return { declaration: member, owner: cls };
      }
    }
  }
  return undefined;
}

/** The compile-time value of a literal-ish expression: strings, booleans, arrays of them. */
export function literalValue(
  checker: ts.TypeChecker,
  expression: ts.Expression | undefined,
): string | boolean | readonly string[] | undefined {
  if (!expression) return undefined;
  let e = expression;
  while (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isSatisfiesExpression(e)) {
    e = e.expression;
  }
  if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return e.text;
  if (e.kind === ts.SyntaxKind.TrueKeyword) return true;
  if (e.kind === ts.SyntaxKind.FalseKeyword) return false;
  if (ts.isArrayLiteralExpression(e)) {
    const items = e.elements.map((el) => literalValue(checker, el));
    return items.every((i): i is string => typeof i === "string") ? items : undefined;
  }
  // A `const` declared elsewhere: its literal type still carries the value.
  const type = checker.getTypeAtLocation(e);
  if (type.isStringLiteral()) return type.value;
  if (type.flags & ts.TypeFlags.BooleanLiteral) {
    return (type as { intrinsicName?: string }).intrinsicName === "true";
  }
  return undefined;
}

/** `true` when `expression` refers to djust's decorator function `name` (however imported). */
export function isDjustDecorator(
  checker: ts.TypeChecker,
  expression: ts.Expression,
  name: string,
): boolean {
  let symbol = checker.getSymbolAtLocation(
    ts.isPropertyAccessExpression(expression) ? expression.name : expression,
  );
  if (!symbol) return false;
  if (symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
  if (symbol.name !== name) return false;
  return (symbol.declarations ?? []).some((d) => DECORATORS_FILE.test(d.getSourceFile().fileName));
}
