/**
 * `djust new <dir>`: a new app that runs, passes its own tests and its checks. It holds a live
 * view with a template, a form validated with zod and a test driving the page by element; the
 * package versions are the ones this copy of djust was built and tested with.
 * @module
 */
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
  chmodSync,
} from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

interface OwnPackage {
  version: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
}

/** djust's package.json: two levels up from both src/cli/ and dist/cli/. */
function ownPackage(): OwnPackage {
  const path = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "package.json");
  return JSON.parse(readFileSync(path, "utf8")) as OwnPackage;
}

const USAGE = `Usage: djust new <dir> [--djust <spec>]

Creates a djust app in <dir> (which must be empty or not exist).

Options:
  --djust <spec>  the djust dependency to write in package.json (a version range, a path or a
                  tarball; default: ^ this version)
`;

/** The files of a new app, by path. */
export function appFiles(name: string, djustSpec: string): Record<string, string> {
  const own = ownPackage();
  const dev = own.devDependencies;
  const pkg = {
    name,
    version: "0.1.0",
    private: true,
    type: "module",
    scripts: {
      start: "tsx src/main.ts",
      dev: "djust dev --app src/app.ts",
      test: "node --import tsx --test test/*.test.ts",
      check: "tsc --noEmit && djust check",
    },
    dependencies: { djust: djustSpec, zod: own.dependencies.zod },
    devDependencies: {
      "@types/node": dev["@types/node"],
      tsx: dev.tsx,
      typescript: dev.typescript,
    },
  };
  const tsconfig = {
    compilerOptions: {
      target: "ES2022",
      module: "NodeNext",
      moduleResolution: "NodeNext",
      lib: ["ES2023", "ESNext.Decorators", "DOM"],
      strict: true,
      useDefineForClassFields: true,
      verbatimModuleSyntax: true,
      skipLibCheck: true,
      noEmit: true,
    },
    include: ["src", "test"],
  };
  return {
    "package.json": `${JSON.stringify(pkg, null, 2)}\n`,
    "tsconfig.json": `${JSON.stringify(tsconfig, null, 2)}\n`,
    ".gitignore": "node_modules/\n",
    ".ci/run": CI_RUN,
    "README.md": readme(name),
    "src/views.ts": VIEWS,
    "src/app.ts": APP,
    "src/main.ts": MAIN,
    "templates/notes.html": TEMPLATE,
    "public/app.css": CSS,
    "test/notes.test.ts": TEST,
  };
}

/** Runs `djust new`; resolves to the exit status. */
export async function runNew(argv: string[]): Promise<number> {
  let dir: string | undefined;
  let spec: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "-h" || arg === "--help") {
      process.stdout.write(USAGE);
      return 0;
    }
    if (arg === "--djust") spec = argv[++i];
    else if (arg.startsWith("--djust=")) spec = arg.slice("--djust=".length);
    else if (arg.startsWith("-") || dir !== undefined) {
      process.stderr.write(`djust new: unexpected argument ${JSON.stringify(arg)}\n\n${USAGE}`);
      return 2;
    } else dir = arg;
  }
  if (dir === undefined || spec === "") {
    process.stderr.write(USAGE);
    return 2;
  }
  const root = resolve(dir);
  if (existsSync(root) && readdirSync(root).length > 0) {
    process.stderr.write(`djust new: ${root} is not empty; choose a new directory\n`);
    return 1;
  }
  const name =
    basename(root)
      .toLowerCase()
      .replace(/[^a-z0-9-._]+/g, "-")
      .replace(/^[-._]+/, "") || "djust-app";
  for (const [path, content] of Object.entries(
    appFiles(name, spec ?? `^${ownPackage().version}`),
  )) {
    const target = join(root, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content);
  }
  chmodSync(join(root, ".ci", "run"), 0o755);
  process.stdout.write(
    `Created ${name} in ${root}\n\nNext:\n  cd ${dir}\n  npm install\n  npm test\n  npm run dev  # http://localhost:8000/, reloads on change\n`,
  );
  return 0;
}

const CI_RUN = `#!/bin/sh
# What CI runs: the tests, the type checker and djust's static checks.
set -e
cd "$(dirname "$0")/.."
npm test
npm run check
`;

function readme(name: string): string {
  return `# ${name}

A [djust](https://www.npmjs.com/package/djust) app: server-rendered live views in TypeScript.

\`\`\`sh
npm install
npm run dev      # http://localhost:8000/, reloads on change and keeps the page's state
npm start        # the same without reloading (PORT to change the port)
npm test         # the view's tests (node:test + djust/testing)
npm run check    # tsc and djust check (template bindings, serializable state)
.ci/run          # all of the above, as CI runs it
\`\`\`

- \`src/views.ts\`: the live view: public fields are its state, \`@eventHandler\` methods run
  when the page sends events.
- \`templates/notes.html\`: its template (Django template language, \`dj-*\` bindings).
- \`src/app.ts\`: the app (routes, the page shell and the stylesheet), \`src/main.ts\` starts it.
- \`test/notes.test.ts\`: drives the page by element, as a user would.
`;
}

const VIEWS = `import { z } from "zod";
import { LiveView, emptyForm, eventHandler, form, type FormState } from "djust";

export interface Note {
  id: number;
  text: string;
  done: boolean;
}

const NewNote = z.object({ text: z.string().trim().min(2, "At least 2 characters.") });

/** A list of notes: add one, tick one off. */
export class NotesView extends LiveView {
  static override templateName = "notes.html";

  notes: Note[] = [];
  draft: FormState<unknown> = emptyForm({ text: "" });

  override mount() {
    this.pageTitle = "Notes";
  }

  @eventHandler({ params: "any" })
  async validate(params: Record<string, unknown>) {
    this.draft = await form(NewNote, params, { previous: this.draft });
  }

  @eventHandler({ params: "any" })
  async add(params: Record<string, unknown>) {
    const checked = await form(NewNote, params, { submitted: true });
    if (!checked.valid || !checked.data) {
      this.draft = checked;
      return;
    }
    const id = Math.max(0, ...this.notes.map((n) => n.id)) + 1;
    this.notes.push({ id, text: checked.data.text, done: false });
    this.draft = emptyForm({ text: "" });
  }

  @eventHandler({ params: z.object({ id: z.number().int() }) })
  toggle({ id }: { id: number }) {
    const note = this.notes.find((n) => n.id === id);
    if (note) note.done = !note.done;
  }
}
`;

const APP = `import { readFileSync } from "node:fs";
import { createApp, type PageParts } from "djust/server";
import { NotesView } from "./views.js";

const css = readFileSync(new URL("../public/app.css", import.meta.url), "utf8");

/** The document around live pages: the default one plus the stylesheet. */
function shell(p: PageParts): string {
  return \`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="\${p.csrfToken}">
<title>\${p.title}</title>
<link rel="stylesheet" href="/app.css">
<script defer src="\${p.clientScript}"></script>
</head>
<body>
\${p.container}
</body>
</html>
\`;
}

export const app = createApp({
  secretKey: process.env.SECRET_KEY ?? "dev-only-secret-change-me",
  templateDirs: [new URL("../templates", import.meta.url).pathname],
  pageShell: shell,
});
app.live("/", NotesView, { name: "notes" });
app.hono.get("/app.css", (c) => c.body(css, 200, { "content-type": "text/css; charset=utf-8" }));
`;

const MAIN = `import { app } from "./app.js";

const server = await app.listen(Number(process.env.PORT ?? 8000));
console.log(\`Listening on \${server.url}\`);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void server.close().then(() => process.exit(0)));
}
`;

const TEMPLATE = `<main class="notes">
  <h1>Notes</h1>
  <form id="new-note" dj-change="validate" dj-submit="add">
    <input name="text" value="{{ draft.values.text }}" placeholder="Write a note" autocomplete="off" aria-label="Note">
    <button type="submit">Add</button>
    {% for message in draft.errors.text %}<p class="error">{{ message }}</p>{% endfor %}
  </form>
  <ul id="notes">
    {% for note in notes %}
    <li id="note-{{ note.id }}" class="{% if note.done %}done{% endif %}">
      <label>
        <input type="checkbox" dj-click="toggle" dj-value-id="{{ note.id }}" {% if note.done %}checked{% endif %}>
        {{ note.text }}
      </label>
    </li>
    {% empty %}
    <li class="empty">Nothing yet.</li>
    {% endfor %}
  </ul>
</main>
`;

const CSS = `*, *::before, *::after { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, sans-serif; color: #1f2933; background: #f5f7fa; }
.notes { max-width: 40rem; margin: 0 auto; padding: 1.5rem 1rem; }
h1 { margin: 0 0 1rem; font-size: 1.75rem; }
form { display: flex; flex-wrap: wrap; gap: 0.5rem; margin-bottom: 1rem; }
input[name="text"] { flex: 1 1 12rem; min-width: 0; padding: 0.5rem 0.75rem; border: 1px solid #cbd2d9; border-radius: 6px; font: inherit; }
button { padding: 0.5rem 1rem; border: 0; border-radius: 6px; background: #2563eb; color: #fff; font: inherit; cursor: pointer; }
button:hover { background: #1d4ed8; }
.error { flex-basis: 100%; margin: 0; color: #b91c1c; font-size: 0.9rem; }
ul { list-style: none; margin: 0; padding: 0; }
li { padding: 0.6rem 0.75rem; margin-bottom: 0.5rem; background: #fff; border-radius: 6px; box-shadow: 0 1px 2px rgb(0 0 0 / 0.08); overflow-wrap: anywhere; }
li.done label { color: #7b8794; text-decoration: line-through; }
li.empty { color: #7b8794; }
label { display: flex; gap: 0.6rem; align-items: baseline; cursor: pointer; }
`;

const TEST = `import assert from "node:assert/strict";
import { test } from "node:test";
import { LiveViewTestClient } from "djust/testing";
import { app } from "../src/app.js";
import { NotesView } from "../src/views.js";

const templateDirs = [new URL("../templates", import.meta.url).pathname];

test("add a note, then tick it off", async () => {
  const view = await LiveViewTestClient.mount(NotesView, { templateDirs });
  assert.ok(view.has("li", "Nothing yet."));

  await view.form("#new-note").change({ text: "a" });
  assert.ok(view.has(".error", "At least 2 characters."));

  await view.form("#new-note").submit({ text: "Buy milk" });
  assert.ok(view.has("#notes li", "Buy milk"));

  await view.element("#note-1 input[type=checkbox]").click();
  assert.ok(view.has("#note-1.done"));
  await view.close();
});

test("the page is served", async () => {
  const res = await app.fetch(new Request("http://localhost/"));
  assert.equal(res.status, 200);
  assert.match(await res.text(), /<h1>Notes<\\/h1>/);
});
`;
