/**
 * State checks: V006 and V008 (seed 000) and the type-based S001–S003.
 * @module
 */
import ts from "typescript";
import type { CheckContext } from "./context.js";
import type { Verdict } from "./type-walk.js";
import {
  hasModifier,
  isInLiveViewFile,
  isInstanceField,
  memberName,
  type ViewClass,
} from "./views.js";

/** Seed 000's V006 rule: the class names that betray a service instance. */
const SERVICE_NAME = /Service|Client|Session|API|Connection/;

/** One `this.<field> = value` (or compound assignment) inside a view's body. */
interface ThisAssignment {
  readonly field: string;
  /** The `this.field` expression, or the name of a field with an initializer. */
  readonly target: ts.Expression | ts.PropertyName;
  readonly value: ts.Expression;
  /** The class member whose code contains the assignment. */
  readonly member: ts.ClassElement;
}

function isAssignmentOperator(kind: ts.SyntaxKind): boolean {
  return kind >= ts.SyntaxKind.FirstAssignment && kind <= ts.SyntaxKind.LastAssignment;
}

function skipParens(e: ts.Expression): ts.Expression {
  while (ts.isParenthesizedExpression(e)) e = e.expression;
  return e;
}

/** The field name of `this.x` / `this["x"]`, if `e` is such an expression. */
function thisField(e: ts.Expression): string | undefined {
  e = skipParens(e);
  if (ts.isPropertyAccessExpression(e) && e.expression.kind === ts.SyntaxKind.ThisKeyword) {
    return ts.isIdentifier(e.name) ? e.name.text : undefined;
  }
  if (
    ts.isElementAccessExpression(e) &&
    e.expression.kind === ts.SyntaxKind.ThisKeyword &&
    ts.isStringLiteralLike(e.argumentExpression)
  ) {
    return e.argumentExpression.text;
  }
  return undefined;
}

/**
 * Assignments to `this.<field>` in the instance members of `cls`. Code where `this` is
 * something else (nested functions, classes, object-literal methods, static members) is
 * skipped; arrow functions keep the view's `this` and are searched.
 */
function thisAssignments(cls: ts.ClassLikeDeclaration): ThisAssignment[] {
  const out: ThisAssignment[] = [];
  for (const member of cls.members) {
    if (
      hasModifier(member, ts.SyntaxKind.StaticKeyword) ||
      ts.isClassStaticBlockDeclaration(member)
    ) {
      continue;
    }
    const visit = (node: ts.Node): void => {
      if (
        ts.isFunctionDeclaration(node) ||
        ts.isFunctionExpression(node) ||
        ts.isClassLike(node) ||
        (ts.isObjectLiteralElementLike(node) &&
          !ts.isPropertyAssignment(node) &&
          !ts.isShorthandPropertyAssignment(node) &&
          !ts.isSpreadAssignment(node))
      ) {
        return;
      }
      if (ts.isBinaryExpression(node) && isAssignmentOperator(node.operatorToken.kind)) {
        const field = thisField(node.left);
        if (field !== undefined)
          out.push({ field, target: skipParens(node.left), value: node.right, member });
      }
      ts.forEachChild(node, visit);
    };
    if (ts.isPropertyDeclaration(member)) {
      if (!member.initializer) continue;
      const field = ts.isPrivateIdentifier(member.name) ? undefined : memberName(member.name);
      if (field !== undefined)
        out.push({ field, target: member.name, value: member.initializer, member });
      visit(member.initializer);
    } else if (
      ts.isMethodDeclaration(member) ||
      ts.isConstructorDeclaration(member) ||
      ts.isAccessor(member)
    ) {
      if (member.body) ts.forEachChild(member.body, visit);
    }
  }
  return out;
}

function isPublicName(name: string): boolean {
  return !name.startsWith("_") && !name.startsWith("#");
}

/** Members of `type` other than `null`/`undefined`. */
function nonNullish(type: ts.Type): ts.Type[] {
  const members = type.isUnion() ? type.types : [type];
  return members.filter(
    (t) => !(t.flags & (ts.TypeFlags.Null | ts.TypeFlags.Undefined | ts.TypeFlags.Void)),
  );
}

/** Arrow-function properties hold behaviour: `stateKeys()` skips them at runtime. */
function isFunctionOnly(type: ts.Type): boolean {
  const members = nonNullish(type);
  return (
    members.length > 0 &&
    members.every(
      (t) =>
        t.getCallSignatures().length > 0 && t.getProperties().every((p) => p.name !== "toJSON"),
    )
  );
}

/**
 * The class name that makes `type` look like a service (V006), if any: a class (or a class it
 * extends), or an interface with methods, whose name contains Service/Client/Session/API/
 * Connection. Plain-data interfaces such as `ClientInfo { name: string }` are not services.
 */
function serviceName(checker: ts.TypeChecker, type: ts.Type): string | undefined {
  for (const member of nonNullish(type)) {
    if (!(member.flags & ts.TypeFlags.Object)) continue;
    let current: ts.Type | undefined = member;
    for (let i = 0; current && i < 16; i++) {
      const target: ts.Type = (current as ts.TypeReference).target ?? current;
      const symbol = target.getSymbol();
      if (!symbol) break;
      const isClass = (symbol.flags & ts.SymbolFlags.Class) !== 0;
      const isServiceInterface =
        (symbol.flags & ts.SymbolFlags.Interface) !== 0 &&
        checker.getPropertiesOfType(target).some((p) => p.flags & ts.SymbolFlags.Method);
      if ((isClass || isServiceInterface) && SERVICE_NAME.test(symbol.name)) return symbol.name;
      if (!isClass) break;
      current = checker.getBaseTypes(target as ts.InterfaceType)[0];
    }
  }
  return undefined;
}

function describePath(field: string, verdict: Verdict): string {
  return verdict.kind === "ok" || verdict.path === "" ? field : `${field}${verdict.path}`;
}

function capitalize(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

function privateHint(field: string): string {
  return (
    `Keep the object private (this._${field} or #${field}), wired in setup() from params ` +
    `(liveSession) or created on demand in a helper method (this._get${capitalize(field)}()), and ` +
    `store only its plain results in public state.`
  );
}

/** `<lead>, which is not serializable: <culprit> is <reason>.`, `lead` naming field and type. */
function badMessage(lead: string, field: string, verdict: Verdict & { kind: "bad" }): string {
  const where = verdict.path === "" ? "it is" : `${describePath(field, verdict)} is`;
  return `${lead}, which is not serializable: ${where} ${verdict.reason}.`;
}

function badHint(field: string, verdict: Verdict & { kind: "bad" }): string {
  const base = `Public fields are state and must be serializable. ${privateHint(field)}`;
  return verdict.reason.startsWith("an instance of class")
    ? `${base} If the class is data, give it toJSON() or registerType() it and declare it in SerializableTypes.`
    : base;
}

/** Runs V006, V008, S001, S002 and S003 on every view. */
export function checkState(ctx: CheckContext): void {
  for (const view of ctx.views) checkView(ctx, view);
}

function checkView(ctx: CheckContext, view: ViewClass): void {
  const { checker, walker } = ctx;
  const looseFields = new Set<string>();

  for (const member of view.node.members) {
    if (!isInstanceField(member)) continue;
    if (ts.isPrivateIdentifier(member.name)) continue;
    const field = memberName(member.name);
    if (field === undefined || !isPublicName(field)) continue;
    const symbol = checker.getSymbolAtLocation(member.name);
    if (!symbol) continue;
    const type = checker.getTypeOfSymbol(symbol);
    if (isFunctionOnly(type)) continue;
    const typeText = checker.typeToString(type);

    const modifier = hasModifier(member, ts.SyntaxKind.PrivateKeyword)
      ? "private"
      : hasModifier(member, ts.SyntaxKind.ProtectedKeyword)
        ? "protected"
        : undefined;
    if (modifier) {
      ctx.report({
        id: "S003",
        node: member.name,
        view: view.name,
        subject: field,
        message:
          `${view.name}.${field} is declared '${modifier}' but is public state at runtime: ` +
          `TypeScript's ${modifier} modifier is erased, so the field is serialized and sent to the client.`,
        hint: `Rename it to _${field} or make it #${field} to keep it out of state.`,
      });
    }

    const verdict = walker.check(type);
    if (verdict.kind === "bad") {
      ctx.report({
        id: "S001",
        node: member.name,
        view: view.name,
        subject: field,
        message: badMessage(`${view.name}.${field} has type '${typeText}'`, field, verdict),
        hint: badHint(field, verdict),
      });
    } else if (verdict.kind === "loose") {
      looseFields.add(field);
      ctx.report({
        id: "S002",
        node: member.name,
        view: view.name,
        subject: field,
        message:
          `${view.name}.${field} has type '${typeText}'` +
          (verdict.path === ""
            ? ""
            : ` (${describePath(field, verdict)} is '${verdict.typeName}')`) +
          `, so djust check cannot prove that it is serializable.`,
        hint:
          `Declare a precise type (e.g. an interface of plain data) for the value, or make the field ` +
          `private (_${field} or #${field}) if it is not meant to be state.`,
      });
    }
  }

  checkInstantiatedFields(ctx, view);
  for (const assignment of thisAssignments(view.node))
    checkAssignment(ctx, view, assignment, looseFields);
}

/**
 * Fields inherited from a generic base class (`class ListView<T> extends LiveView { items: T[] }`)
 * are only decidable once the subclass picks the type arguments (`extends ListView<Chart>`), so
 * they are checked on the subclass, when the base's own declaration was not already reported.
 */
function checkInstantiatedFields(ctx: CheckContext, view: ViewClass): void {
  const { checker, walker } = ctx;
  for (const property of checker.getPropertiesOfType(view.type)) {
    if (!(property.flags & ts.SymbolFlags.Property) || !isPublicName(property.name)) continue;
    const declaration = property.valueDeclaration;
    if (!declaration || !isInstanceField(declaration)) continue;
    const owner = declaration.parent;
    if (!ts.isClassLike(owner) || owner === view.node || !owner.typeParameters?.length) continue;
    const declared = checker.getSymbolAtLocation(declaration.name);
    if (declared && walker.check(checker.getTypeOfSymbol(declared)).kind === "bad") continue;
    const type = checker.getTypeOfSymbol(property);
    if (isFunctionOnly(type)) continue;
    const verdict = walker.check(type);
    if (verdict.kind !== "bad") continue;
    const base = owner.name?.text ?? "its base class";
    ctx.report({
      id: "S001",
      node: view.node.name ?? view.node,
      view: view.name,
      subject: property.name,
      message: badMessage(
        `${view.name}.${property.name} (inherited from ${base}) has type '${checker.typeToString(type)}'`,
        property.name,
        verdict,
      ),
      hint: badHint(property.name, verdict),
    });
  }
}

function checkAssignment(
  ctx: CheckContext,
  view: ViewClass,
  { field, target, value, member }: ThisAssignment,
  looseFields: ReadonlySet<string>,
): void {
  if (!isPublicName(field)) return;
  const { checker, walker } = ctx;
  const targetName = ts.isPropertyAccessExpression(target)
    ? target.name
    : ts.isElementAccessExpression(target)
      ? target.argumentExpression
      : target;
  const symbol = checker.getSymbolAtLocation(targetName);
  const declaration = symbol?.valueDeclaration ?? symbol?.declarations?.[0];
  if (symbol && symbol.flags & (ts.SymbolFlags.Accessor | ts.SymbolFlags.Method)) return;
  if (
    declaration &&
    (isInLiveViewFile(declaration) || hasModifier(declaration, ts.SyntaxKind.AccessorKeyword))
  ) {
    return;
  }
  const declaredType = symbol ? checker.getTypeOfSymbol(symbol) : undefined;
  if (declaredType && isFunctionOnly(declaredType)) return;

  const valueType = checker.getTypeAtLocation(value);
  const valueVerdict = walker.check(valueType);
  const valueText = checker.typeToString(valueType);
  const inMount = ts.isMethodDeclaration(member) && memberName(member.name) === "mount";
  const where = ts.isPropertyDeclaration(member)
    ? "a field initializer"
    : `${memberName((member as ts.MethodDeclaration).name) ?? "constructor"}()`;

  const service =
    serviceName(checker, valueType) ??
    (valueVerdict.kind === "loose" && declaredType
      ? serviceName(checker, declaredType)
      : undefined);
  if (service !== undefined) {
    ctx.report({
      id: "V006",
      node: target,
      view: view.name,
      subject: field,
      message: `${view.name}.${field} looks like a service instance (${service}) stored in state, in ${where}.`,
      hint: `Service instances are not serializable. ${privateHint(field)}`,
    });
  } else if (inMount && !walker.isPrimitive(valueType) && valueVerdict.kind !== "ok") {
    ctx.report({
      id: "V008",
      node: target,
      view: view.name,
      subject: field,
      message:
        `${valueVerdict.kind === "loose" && valueVerdict.path === "" ? "Value of type" : "Non-primitive type"} ` +
        `'${valueText}' assigned to this.${field} in mount() is not known to be serializable.`,
      hint:
        `If '${valueText}' is not serializable, use this._${field} instead or re-create it in ` +
        `event handlers; if it is, give the value a precise serializable type.`,
    });
  }

  // The field's declaration is checked once where it is declared; only an `any`/`unknown`
  // (or undeclared) field leaves room for a bad value at an assignment.
  const declarationIsLoose =
    !declaredType || looseFields.has(field) || walker.check(declaredType).kind === "loose";
  if (declarationIsLoose && valueVerdict.kind === "bad") {
    ctx.report({
      id: "S001",
      node: target,
      view: view.name,
      subject: field,
      message: badMessage(
        `${view.name}.${field} is assigned a value of type '${valueText}'`,
        field,
        valueVerdict,
      ),
      hint: badHint(field, valueVerdict),
    });
  }
}
