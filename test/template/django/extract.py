"""Extracts template cases from Django's own template tests into a JSON corpus.

Usage: python3 extract.py GIT_DIR COMMIT > django-tests.json
       python3 extract.py --file PATH LOCAL_COPY SOURCE > corpus.json   (one test file, e.g.
       tests/template_tests/syntax_tests/test_cache.py read from a copy at LOCAL_COPY; SOURCE
       is what the corpus records as its origin)

Reads tests/template_tests/syntax_tests/**/test_*.py and filter_tests/test_*.py from a Django
git directory (at COMMIT) with `git show`, parses each file with `ast` (nothing is imported or
executed) and turns every `self.engine.render_to_string(NAME, CONTEXT)` call inside a method
decorated with `@setup({...})` into a case `{name, template, templates, context}` when NAME, the
templates and CONTEXT are literals this script can evaluate. The expected output of the test
(`self.assertEqual(output, "...")` right after the call) is kept as `expected` when it is a
literal: it is Django 5.2's behaviour, the reference run renders with the installed Django.
Templates the same test method rendered before the call are listed as `before` (rendered first,
with the same context, by both engines: the fragment cache of `{% cache %}` carries over).

Skipped, and why (counted on stderr):
- contexts holding objects (class instances, lambdas, lazy strings, ...): not JSON;
- renders inside `with self.settings(...)`/`override_settings`/`translation.override` other
  than a language switch (recorded as `language`): the case depends on settings;
- templates that `{% load %}` a test-only tag library (custom tags live in Django's test
  package);
- function tests that call a filter directly (no template).
"""
import ast
import datetime
import json
import re
import subprocess
import sys

BUILTIN_LIBRARIES = {"i18n", "l10n", "tz", "static", "cache"}


class Skip(Exception):
    pass


def git(gitdir, *args):
    return subprocess.run(
        ["git", "--git-dir", gitdir, *args], check=True, capture_output=True, text=True
    ).stdout


def encode(value):
    """Python test value → JSON-corpus value ($safe / $date markers)."""
    if isinstance(value, Safe):
        return {"$safe": value.text}
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        return {"$date": value.isoformat(timespec="microseconds") + "Z"}
    if isinstance(value, datetime.date):
        return {"$date": value.isoformat() + "T00:00:00.000000Z"}
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise Skip("non-finite float")
        return value
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise Skip("non-string dict key")
        return {k: encode(v) for k, v in value.items()}
    raise Skip(f"unencodable {type(value).__name__}")


class Safe:
    def __init__(self, text):
        self.text = text


class Evaluator:
    """Evaluates the literal subset of Python the tests use for templates and contexts."""

    def __init__(self, names):
        self.names = names

    def eval(self, node):
        m = getattr(self, "eval_" + type(node).__name__, None)
        if m is None:
            raise Skip(f"expression {type(node).__name__}")
        return m(node)

    def eval_Constant(self, node):
        return node.value

    def eval_JoinedStr(self, node):
        raise Skip("f-string")

    def eval_Name(self, node):
        if node.id in self.names:
            return self.names[node.id]
        if node.id in ("True", "False", "None"):
            return {"True": True, "False": False, "None": None}[node.id]
        raise Skip(f"name {node.id}")

    def eval_List(self, node):
        return [self.eval(e) for e in node.elts]

    def eval_Tuple(self, node):
        return tuple(self.eval(e) for e in node.elts)

    def eval_Dict(self, node):
        out = {}
        for k, v in zip(node.keys, node.values):
            if k is None:
                out.update(self.eval(v))
            else:
                out[self.eval(k)] = self.eval(v)
        return out

    def eval_UnaryOp(self, node):
        v = self.eval(node.operand)
        if isinstance(node.op, ast.USub):
            return -v
        if isinstance(node.op, ast.UAdd):
            return +v
        raise Skip("unary op")

    def eval_BinOp(self, node):
        a, b = self.eval(node.left), self.eval(node.right)
        if isinstance(a, Safe) or isinstance(b, Safe):
            raise Skip("safe arithmetic")
        if isinstance(node.op, ast.Add):
            return a + b
        if isinstance(node.op, ast.Mult):
            return a * b
        if isinstance(node.op, ast.Sub):
            return a - b
        if isinstance(node.op, ast.Mod) and isinstance(a, str):
            return a % b
        raise Skip("binary op")

    def eval_Call(self, node):
        fn = node.func
        name = fn.id if isinstance(fn, ast.Name) else fn.attr if isinstance(fn, ast.Attribute) else None
        args = [self.eval(a) for a in node.args]
        kwargs = {k.arg: self.eval(k.value) for k in node.keywords if k.arg is not None}
        if name in ("mark_safe", "SafeString") and len(args) == 1 and isinstance(args[0], str):
            return Safe(args[0])
        if name == "datetime" and not kwargs.get("tzinfo"):
            return datetime.datetime(*args, **kwargs)
        if name == "date":
            return datetime.date(*args, **kwargs)
        if name == "dict":
            return dict(*args, **kwargs)
        if name == "range" and not kwargs:
            return list(range(*args))
        if name in ("list", "tuple") and len(args) == 1:
            return list(args[0])
        raise Skip(f"call {name}")


def literal_name(node):
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def module_names(tree, path, read):
    names = {}
    ev = Evaluator(names)
    for stmt in tree.body:
        if isinstance(stmt, ast.ImportFrom) and stmt.level == 1 and stmt.module:
            # `from .test_basic import basic_templates`: a sibling test module's templates.
            sibling = path.rsplit("/", 1)[0] + "/" + stmt.module.replace(".", "/") + ".py"
            try:
                other = module_names(ast.parse(read(sibling)), sibling, read)
            except Exception:
                continue
            for alias in stmt.names:
                if alias.name in other:
                    names[alias.asname or alias.name] = other[alias.name]
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            try:
                names[stmt.targets[0].id] = ev.eval(stmt.value)
            except Skip:
                pass
    return names


def is_setup(dec):
    return isinstance(dec, ast.Call) and isinstance(dec.func, ast.Name) and dec.func.id == "setup"


def render_calls(body, context):
    """Yields (call, with-context, next statement) for each render_to_string call, in order."""
    for i, stmt in enumerate(body):
        nxt = body[i + 1] if i + 1 < len(body) else None
        if isinstance(stmt, ast.With):
            ctx = list(context)
            for item in stmt.items:
                ctx.append(item.context_expr)
            yield from render_calls(stmt.body, ctx)
            continue
        if isinstance(stmt, (ast.For, ast.If, ast.While, ast.Try)):
            # Loops and branches make the arguments non-literal or conditional: not followed,
            # except `if self.engine.string_if_invalid: ... else: ...`, whose else is ours.
            if isinstance(stmt, ast.If) and "string_if_invalid" in ast.unparse(stmt.test):
                yield from render_calls(stmt.orelse, context)
            continue
        for node in ast.walk(stmt):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("render_to_string", "get_template")
                and ast.unparse(node.func.value) == "self.engine"
            ):
                yield node, context, stmt, nxt


def expected_of(stmt, nxt, ev):
    """The literal expected by `output = ...; self.assertEqual(output, LITERAL)`."""
    if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)):
        return None
    var = stmt.targets[0].id
    if not (isinstance(nxt, ast.Expr) and isinstance(nxt.value, ast.Call)):
        return None
    call = nxt.value
    if not (isinstance(call.func, ast.Attribute) and call.func.attr == "assertEqual" and len(call.args) == 2):
        return None
    a, b = call.args
    if not (isinstance(a, ast.Name) and a.id == var):
        return None
    try:
        value = ev.eval(b)
    except Skip:
        return None
    return value if isinstance(value, str) else None


def with_context(items):
    """Language switch of the `with` statements around a render, or Skip."""
    language = None
    expects_error = None
    for expr in items:
        text = ast.unparse(expr)
        m = re.fullmatch(r"translation\.override\((['\"])([\w-]+)\1\)", text)
        if m:
            language = m.group(2)
            continue
        m = re.fullmatch(r"self\.assertRaises(?:Message)?\((\w+)(?:,.*)?\)", text, re.S)
        if m:
            expects_error = m.group(1)
            continue
        raise Skip("with " + text.split("(")[0])
    return language, expects_error


def load_ok(templates):
    for src in templates.values():
        for m in re.finditer(r"\{%\s*load\s+([^%]*?)\s*%\}", src):
            words = m.group(1).split()
            if "from" in words:
                words = words[words.index("from") + 1 :]
            if any(w not in BUILTIN_LIBRARIES for w in words):
                return False
    return True


def reachable(name, templates, context):
    """The templates a render of `name` can load: named in a reached source or the context."""
    seen = [name]
    texts = [json.dumps(context, ensure_ascii=False)]
    i = 0
    while i < len(seen):
        src = templates.get(seen[i])
        if src is not None:
            texts.append(src)
        i += 1
        blob = "\n".join(texts)
        for other in templates:
            if other not in seen and (f'"{other}"' in blob or f"'{other}'" in blob):
                seen.append(other)
    return {k: templates[k] for k in seen if k in templates}


def extract_file(path, source, cases, skipped, read):
    tree = ast.parse(source)
    names = module_names(tree, path, read)
    ev = Evaluator(names)
    group = path.split("/")[-1][: -len(".py")]
    for cls in [n for n in tree.body if isinstance(n, ast.ClassDef)]:
        for fn in [n for n in cls.body if isinstance(n, ast.FunctionDef)]:
            setups = [d for d in fn.decorator_list if is_setup(d)]
            if not setups:
                continue
            dec = setups[0]
            try:
                templates = {}
                for arg in dec.args:
                    templates.update(ev.eval(arg))
                templates["inclusion.html"] = "{{ result }}"
            except Skip as e:
                skipped[f"templates: {e}"] = skipped.get(f"templates: {e}", 0) + 1
                continue
            if not all(isinstance(k, str) and isinstance(v, str) for k, v in templates.items()):
                skipped["templates: not strings"] = skipped.get("templates: not strings", 0) + 1
                continue
            n = 0
            before = []
            for call, ctx_items, stmt, nxt in render_calls(fn.body, []):
                rendered = before.copy()
                if call.func.attr == "render_to_string" and call.args and literal_name(call.args[0]):
                    before.append(call.args[0].value)
                try:
                    language, expects_error = with_context(ctx_items)
                    if call.func.attr == "get_template" and expects_error is None:
                        raise Skip("get_template outside assertRaises")
                    if not call.args or literal_name(call.args[0]) is None:
                        raise Skip("template name not literal")
                    name = call.args[0].value
                    if len(call.args) > 1:
                        context = ev.eval(call.args[1])
                    elif call.keywords:
                        raise Skip("keyword arguments")
                    else:
                        context = {}
                    if not isinstance(context, dict):
                        raise Skip("context not a dict")
                    context = encode(context)
                    used = reachable(name, templates, context)
                    for other in rendered:
                        used.update(reachable(other, templates, context))
                    if not load_ok(used):
                        raise Skip("test-only tag library")
                except Skip as e:
                    key = str(e).split(" ")[0] if str(e).startswith("with") else str(e)
                    skipped[key] = skipped.get(key, 0) + 1
                    continue
                n += 1
                case = {
                    "name": f"{group}.{fn.name}" + (f"#{n}" if n > 1 else ""),
                    "template": name,
                    "templates": used,
                    "context": context,
                }
                if rendered:
                    case["before"] = rendered
                if language is not None:
                    case["language"] = language
                expected = expected_of(stmt, nxt, ev) if expects_error is None else None
                if expected is not None:
                    case["expected"] = expected
                if expects_error is not None:
                    case["expectedError"] = expects_error
                cases.append(case)


def main():
    if sys.argv[1] == "--file":
        path, copy, source = sys.argv[2], sys.argv[3], sys.argv[4]
        cases, skipped = [], {}
        with open(copy, encoding="utf-8") as f:
            extract_file(path, f.read(), cases, skipped, lambda p: open(p, encoding="utf-8").read())
        json.dump({"source": source, "cases": cases}, sys.stdout, ensure_ascii=False, indent=None, separators=(",", ":"))
        sys.stdout.write("\n")
        print(f"{len(cases)} cases; skipped: {json.dumps(skipped, indent=1)}", file=sys.stderr)
        return
    gitdir, commit = sys.argv[1], sys.argv[2]
    files = [
        f
        for f in git(gitdir, "ls-tree", "-r", "--name-only", commit, "tests/template_tests/").split("\n")
        if re.search(r"/(syntax_tests|filter_tests)/(i18n/)?test_[^/]*\.py$", f)
    ]
    cases, skipped = [], {}
    for f in sorted(files):
        read = lambda p: git(gitdir, "show", f"{commit}:{p}")
        extract_file(f, read(f), cases, skipped, read)
    json.dump(
        {"source": f"django/django tests/template_tests at {commit}", "cases": cases},
        sys.stdout,
        ensure_ascii=False,
        indent=None,
        separators=(",", ":"),
    )
    sys.stdout.write("\n")
    print(f"{len(cases)} cases from {len(files)} files; skipped: {json.dumps(skipped, indent=1)}", file=sys.stderr)


if __name__ == "__main__":
    main()
