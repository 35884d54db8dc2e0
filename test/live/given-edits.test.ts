/**
 * A LiveComponent that edits in place an object its placer gave it (`this.todo.done = true` on
 * the view's todo) edits its placer's state: the placer's tracking never saw the write, so the
 * placer's fields reaching the object render again and are stored whole — the view's and, for
 * a component placed by another, the placing component's too. Through `djust/testing` with the
 * memory backend, writes before each reply, and reconnects that restore what was written.
 */
import assert from "node:assert/strict";
import { describe, it, mock } from "node:test";
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
});
