/**
 * A LiveComponent that edits in place an object its placer gave it (`this.todo.done = true` on
 * the view's todo) edits its placer's state: the placer's tracking never saw the write, so the
 * placer's fields reaching the object render again and are stored whole — the view's and, for
 * a component placed by another, the placing component's too. Through `djust/testing` with the
 * memory backend, writes before each reply, and reconnects that restore what was written.
 */
import assert from "node:assert/strict";
import { afterEach, describe, it, mock } from "node:test";
import { z } from "zod";
import {
  eventHandler,
  html,
  LiveComponent,
  liveComponent,
  LiveView,
  type LiveViewClass,
  type Rendered,
} from "../../src/index.js";
import { MemoryStateBackend } from "../../src/state/backends/memory.js";
import { TemplateLoader } from "../../src/template/index.js";
import { LiveViewTestClient } from "../../src/testing/index.js";

interface Todo {
  id: number;
  title: string;
  done: boolean;
}

const todos = (): Todo[] => [
  { id: 1, title: "a", done: false },
  { id: 2, title: "b", done: false },
];

/** Toggles the todo it is given, in place. */
class TodoItem extends LiveComponent {
  id = 0;
  todo: Todo = { id: 0, title: "", done: false };
  /** Its own object, not given. */
  opened = { times: 0 };
  @eventHandler
  toggle() {
    this.todo.done = !this.todo.done;
  }
  @eventHandler
  open() {
    this.opened.times++;
  }
  /** Edits the given todo, then holds an object of its own instead. */
  @eventHandler
  toggleAndLetGo() {
    this.todo.done = !this.todo.done;
    this.todo = { id: 0, title: "own", done: false };
  }
  /** Edits the given todo and, through its view, adds one in the same step. */
  @eventHandler
  toggleAndAdd() {
    this.todo.done = true;
    (this.view as TodoList).todos.push({ id: 3, title: "c", done: false });
  }
  override render(): Rendered {
    return html`<li>${this.todo.title}${this.todo.done ? "+" : ""}${this.opened.times}</li>`;
  }
}

class TodoList extends LiveView {
  todos = todos();
  @eventHandler
  add() {
    this.todos.push({ id: 10, title: "n", done: false });
  }
  override render(): Rendered {
    const left = this.todos.filter((t) => !t.done).length;
    return html`<div><p>${left} left</p><ul>${this.todos.map((todo) =>
      liveComponent(TodoItem, { id: todo.id, todo }),
    )}</ul></div>`;
  }
}

/** The same with templates: the view's loop reads the todos. */
class TodoListTemplate extends TodoList {
  static override templateName = "todos.html";
}

class TodoItemTemplate extends TodoItem {
  static override templateName = "todo-item.html";
}

const templates = new TemplateLoader({
  dirs: [],
  templates: {
    "todos.html": `<div><p>{% for t in todos %}{% if not t.done %}o{% endif %}{% endfor %} left</p><ul>{% for todo in todos %}{% live_component "todo-item-template" id=todo.id todo=todo %}{% endfor %}</ul></div>`,
    "todo-item.html": `<li>{{ todo.title }}{% if todo.done %}+{% endif %}{{ opened.times }}</li>`,
  },
});

/** Gives each of its own todos to a TodoItem, and shows how many are done. */
class Project extends LiveComponent {
  id = "";
  tasks: Todo[] = [];
  override render(): Rendered {
    const done = this.tasks.filter((t) => t.done).length;
    return html`<section><h2>${done} done</h2>${this.tasks.map((todo) =>
      liveComponent(TodoItem, { id: todo.id, todo }),
    )}</section>`;
  }
}

/** Gives its todos to a Project, which gives each to a TodoItem. */
class ProjectPage extends LiveView {
  todos = todos();
  override render(): Rendered {
    const left = this.todos.filter((t) => !t.done).length;
    return html`<main><p>${left} left</p>${liveComponent(Project, { id: "p", tasks: this.todos })}</main>`;
  }
}

/** A Project whose todos are its own: the view gives it none. */
class OwnProject extends Project {
  override tasks = todos();
}

class OwnProjectPage extends LiveView {
  override render(): Rendered {
    return html`<main>${liveComponent(OwnProject, { id: "p" })}</main>`;
  }
}

/** Also holds the first todo as its selection: a second field reaching it. */
class SelectingList extends TodoList {
  selected = this.todos[0]!;
  override render(): Rendered {
    return html`<main>${this.selected.done ? "done" : "open"}${super.render()}</main>`;
  }
}

/** Keeps a draft of its todo's title, set by `update`; `update` fails while `failing`. */
class DraftItem extends TodoItem {
  static failing = false;
  draft = "";
  override update(assigns: Readonly<Record<string, unknown>>) {
    Object.assign(this, assigns);
    if (DraftItem.failing) throw new Error("update failed");
    this.draft = this.todo.title;
  }
  @eventHandler({ params: z.object({ text: z.string() }) })
  type({ text }: { text: string }) {
    this.draft = text;
  }
  override render(): Rendered {
    return html`<li>${this.todo.title}${this.todo.done ? "+" : ""}[${this.draft}]</li>`;
  }
}

class DraftList extends LiveView {
  todos = todos();
  n = 0;
  @eventHandler
  tick() {
    this.n++;
  }
  override render(): Rendered {
    const left = this.todos.filter((t) => !t.done).length;
    return html`<div>${this.n} ${left} left<ul>${this.todos.map((todo) =>
      liveComponent(DraftItem, { id: todo.id, todo, n: this.n }),
    )}</ul></div>`;
  }
}

/** Puts its first item at its end: one of its placer's objects at two places. */
class Repeater extends LiveComponent {
  id = "";
  list: { n: number }[] = [];
  @eventHandler
  repeat() {
    this.list.push(this.list[0]!);
  }
  override render(): Rendered {
    return html`<ol>${this.list.map((x) => html`<li>${x.n}</li>`)}</ol>`;
  }
}

class RepeatPage extends LiveView {
  list = [{ n: 1 }];
  @eventHandler
  bump() {
    this.list[0]!.n += 10;
  }
  override render(): Rendered {
    return html`<main>${this.list.map((x) => x.n).join(",")}${liveComponent(Repeater, { id: "r", list: this.list })}</main>`;
  }
}

/** A component with its own list, which it gives a {@link Repeater} and edits. */
class RepeatHolder extends LiveComponent {
  id = "";
  list = [{ n: 1 }];
  @eventHandler
  bump() {
    this.list[0]!.n += 10;
  }
  override render(): Rendered {
    return html`<section>${this.list.map((x) => x.n).join(",")}${liveComponent(Repeater, { id: "r", list: this.list })}</section>`;
  }
}

class RepeatHolderPage extends LiveView {
  override render(): Rendered {
    return html`<main>${liveComponent(RepeatHolder, { id: "h" })}</main>`;
  }
}

/** Puts the first of the rows it is given at the head of its view's picks. */
class Picker extends LiveComponent {
  id = "";
  rows: { n: number; f?: number }[] = [];
  @eventHandler
  pick() {
    (this.view as PickPage).picks[0] = this.rows[0]!;
  }
  override render(): Rendered {
    return html`<i>${this.rows.length}</i>`;
  }
}

class PickPage extends LiveView {
  picks: { n: number; f?: number }[] = [{ n: 4 }];
  rows: { n: number; f?: number }[] = [{ n: 0 }];
  @eventHandler
  mark() {
    this.picks[0]!.f = 9;
  }
  override render(): Rendered {
    // Reads its rows raw (the render context), as templates do.
    return html`<p>${this.picks.map((p) => `${p.n}${p.f ?? ""}`).join()}${liveComponent(Picker, {
      id: "p",
      rows: this.rows,
    })}</p>`;
  }
}

/** Puts its view's first pick where an equal row was, inside the groups it is given. */
class Adopter extends LiveComponent {
  id = "";
  groups: { main: { n: number; f?: number }[] } = { main: [] };
  @eventHandler
  adopt() {
    this.groups.main[0] = (this.view as AdoptPage).picks[0]!;
  }
  override render(): Rendered {
    return html`<i>${this.groups.main.map((r) => `${r.n}${r.f ?? ""}`).join()}</i>`;
  }
}

class AdoptPage extends PickPage {
  groups = { main: [{ n: 4 }] as { n: number; f?: number }[] };
  override render(): Rendered {
    return html`<p>${liveComponent(Adopter, { id: "a", groups: this.groups })}</p>`;
  }
}

const backend = new MemoryStateBackend();
const options = {
  stateBackend: backend,
  durability: "reply",
  templates,
  components: [TodoItemTemplate],
} as const;

/** Mounts `View` again from what was stored for `view`, and returns its page. */
async function restored(View: LiveViewClass, view: LiveViewTestClient): Promise<string> {
  const again = await LiveViewTestClient.mount(View, {
    ...options,
    id: view.id,
    deadRender: false,
  });
  try {
    assert.equal(again.restored, true);
    return again.render();
  } finally {
    await again.close();
  }
}

afterEach(() => {
  DraftItem.failing = false;
});

describe("an object a component edits in place that its placer gave it", () => {
  for (const [kind, View, left] of [
    ["html``", TodoList, (n: number) => `${n} left`],
    ["templates", TodoListTemplate, (n: number) => `${"o".repeat(n)} left`],
  ] as const) {
    it(`is shown by the view, and stored (${kind})`, async () => {
      const view = await LiveViewTestClient.mount(View, options);
      const page = (n: number, ...items: string[]) =>
        `<div><p>${left(n)}</p><ul>${items.map((i) => `<li>${i}</li>`).join("")}</ul></div>`;
      try {
        assert.equal(view.render(), page(2, "a0", "b0"));
        await view.event("toggle", {}, { target: 2 });
        assert.equal(view.render(), page(1, "a0", "b+0"));
        assert.deepEqual(view.assigns.todos, [
          { id: 1, title: "a", done: false },
          { id: 2, title: "b", done: true },
        ]);
        await view.event("toggle", {}, { target: 1 });
        assert.equal(view.render(), page(0, "a+0", "b+0"));
      } finally {
        await view.close();
      }
      assert.equal(await restored(View, view), page(0, "a+0", "b+0"));
    });
  }

  it("is stored with what the same step changed through the view", async () => {
    const view = await LiveViewTestClient.mount(TodoList, options);
    const page = "<div><p>3 left</p><ul><li>a+0</li><li>b0</li><li>n0</li><li>c0</li></ul></div>";
    try {
      // The view's step pushes a todo: its field is stored as edits from then on.
      await view.event("add");
      await view.event("toggleAndAdd", {}, { target: 1 });
      assert.equal(view.render(), page);
    } finally {
      await view.close();
    }
    assert.equal(await restored(TodoList, view), page);
  });

  it("is shown and stored by the component that gave it, and by the view that gave that one", async () => {
    const view = await LiveViewTestClient.mount(ProjectPage, options);
    const page = (left: number, done: number, ...items: string[]) =>
      `<main><p>${left} left</p><section><h2>${done} done</h2>${items.map((i) => `<li>${i}</li>`).join("")}</section></main>`;
    try {
      assert.equal(view.render(), page(2, 0, "a0", "b0"));
      // Cids: the project is 1, its todos 2 and 3.
      await view.event("toggle", {}, { target: 3 });
      assert.equal(view.render(), page(1, 1, "a0", "b+0"));
      assert.deepEqual(
        (view.component(Project, "p") as Project).tasks.map((t) => t.done),
        [false, true],
      );
    } finally {
      await view.close();
    }
    assert.equal(await restored(ProjectPage, view), page(1, 1, "a0", "b+0"));
  });

  it("is shown and stored by the component that gave it, which the view gave nothing", async () => {
    const view = await LiveViewTestClient.mount(OwnProjectPage, options);
    const page = (done: number, ...items: string[]) =>
      `<main><section><h2>${done} done</h2>${items.map((i) => `<li>${i}</li>`).join("")}</section></main>`;
    try {
      const rendering = mock.method(view.view as OwnProjectPage, "render");
      await view.event("toggle", {}, { target: 2 });
      assert.equal(view.render(), page(1, "a+0", "b0"));
      assert.equal(rendering.mock.callCount(), 0);
    } finally {
      await view.close();
    }
    assert.equal(await restored(OwnProjectPage, view), page(1, "a+0", "b0"));
  });

  it("costs the view nothing when the component edits an object of its own", async () => {
    const view = await LiveViewTestClient.mount(TodoList, options);
    try {
      const rendering = mock.method(view.view as TodoList, "render");
      await view.event("open", {}, { target: 1 });
      assert.equal(view.render(), "<div><p>2 left</p><ul><li>a1</li><li>b0</li></ul></div>");
      assert.equal(rendering.mock.callCount(), 0);
      await view.event("toggle", {}, { target: 1 });
      assert.equal(rendering.mock.callCount(), 1);
    } finally {
      await view.close();
    }
  });

  it("is shown and stored though the component then holds another object", async () => {
    const view = await LiveViewTestClient.mount(TodoList, options);
    // The view renders, and gives the component its todo again, which it edited.
    const page = "<div><p>1 left</p><ul><li>a+0</li><li>b0</li></ul></div>";
    try {
      await view.event("toggleAndLetGo", {}, { target: 1 });
      assert.equal(view.render(), page);
    } finally {
      await view.close();
    }
    assert.equal(await restored(TodoList, view), page);
  });

  it("is shown and stored by every field of the view that reaches it", async () => {
    const view = await LiveViewTestClient.mount(SelectingList, options);
    const page = "<main>done<div><p>1 left</p><ul><li>a+0</li><li>b0</li></ul></div></main>";
    try {
      await view.event("toggle", {}, { target: 1 });
      assert.equal(view.render(), page);
    } finally {
      await view.close();
    }
    const again = await LiveViewTestClient.mount(SelectingList, {
      ...options,
      id: view.id,
      deadRender: false,
    });
    try {
      assert.equal(again.render(), page);
      // Still one todo at both places.
      const { selected, todos } = again.view as SelectingList;
      assert.equal(selected, todos[0]);
    } finally {
      await again.close();
    }
  });

  it("keeps what the view's other components changed of their own: their update does not run", async () => {
    const view = await LiveViewTestClient.mount(DraftList, options);
    try {
      await view.event("type", { text: "b!" }, { target: 2 });
      const updates = mock.method(view.component(DraftItem, 2) as DraftItem, "update");
      await view.event("toggle", {}, { target: 1 });
      assert.equal(view.render(), "<div>0 1 left<ul><li>a+[a]</li><li>b[b!]</li></ul></div>");
      assert.equal(updates.mock.callCount(), 0);
    } finally {
      await view.close();
    }
  });

  it("is shown and stored after the component's update failed", async () => {
    const view = await LiveViewTestClient.mount(DraftList, options);
    const page = "<div>2 1 left<ul><li>a+[a]</li><li>b[b]</li></ul></div>";
    try {
      DraftItem.failing = true;
      await assert.rejects(view.event("tick"), { message: "update failed" });
      DraftItem.failing = false;
      await view.event("toggle", {}, { target: 1 });
      await view.event("tick");
      assert.equal(view.render(), page);
    } finally {
      await view.close();
    }
    assert.equal(await restored(DraftList, view), page);
  });

  for (const [kind, Page, targets] of [
    ["the view's", RepeatPage, { repeat: 1, bump: undefined }],
    ["its placing component's", RepeatHolderPage, { repeat: 2, bump: 1 }],
  ] as const) {
    it(`keeps, stored and restored, an object the component put at a second place of ${kind} state`, async () => {
      const view = await LiveViewTestClient.mount(Page, options);
      const shown = (n: number) => `${n},${n}<ol><li>${n}</li><li>${n}</li></ol>`;
      const bump = (client: LiveViewTestClient) =>
        client.event("bump", {}, targets.bump === undefined ? {} : { target: targets.bump });
      try {
        await view.event("repeat", {}, { target: targets.repeat });
        await bump(view);
        assert.ok(view.render().includes(shown(11)), view.render());
      } finally {
        await view.close();
      }
      const again = await LiveViewTestClient.mount(Page, {
        ...options,
        id: view.id,
        deadRender: false,
      });
      try {
        assert.ok(again.render().includes(shown(11)), again.render());
        await bump(again);
        assert.ok(again.render().includes(shown(21)), again.render());
      } finally {
        await again.close();
      }
    });
  }

  it("keeps one object when the component puts one it was given into the view's state", async () => {
    const view = await LiveViewTestClient.mount(PickPage, options);
    try {
      await view.event("pick", {}, { target: 1 });
      await view.event("mark");
      const { picks, rows } = view.view as PickPage;
      assert.equal(picks[0], rows[0]);
    } finally {
      await view.close();
    }
    const again = await LiveViewTestClient.mount(PickPage, {
      ...options,
      id: view.id,
      deadRender: false,
    });
    try {
      const { picks, rows } = again.view as PickPage;
      assert.deepEqual(rows, [{ n: 0, f: 9 }]);
      assert.equal(picks[0], rows[0]);
    } finally {
      await again.close();
    }
  });

  it("keeps one object when the component puts one of the view's where an equal one was", async () => {
    const view = await LiveViewTestClient.mount(AdoptPage, options);
    try {
      // No value changes: only which object the rows hold.
      await view.event("adopt", {}, { target: 1 });
      await view.event("mark");
      assert.equal(view.render(), "<p><i>49</i></p>");
    } finally {
      await view.close();
    }
    const again = await LiveViewTestClient.mount(AdoptPage, {
      ...options,
      id: view.id,
      deadRender: false,
    });
    try {
      const { picks, groups } = again.view as AdoptPage;
      assert.deepEqual(groups.main, [{ n: 4, f: 9 }]);
      assert.equal(picks[0], groups.main[0]);
    } finally {
      await again.close();
    }
  });
});
