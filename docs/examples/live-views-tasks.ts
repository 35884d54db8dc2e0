// A task list that uses each part of a live view: state, handlers, a validated form, flash,
// the page title, live patches (handleParams), navigation and a hook's event.
import { z } from "zod";
import {
  LiveView,
  emptyForm,
  eventHandler,
  form,
  html,
  type FormState,
  type LiveRequest,
  type Params,
} from "../../src/index.js";
import { createApp, liveSession } from "../../src/server/index.js";

export interface Task {
  id: number;
  title: string;
  done: boolean;
}

/** Where tasks live: injected through liveSession, so a test can pass its own. */
export class TaskStore {
  #tasks: Task[] = [];
  #next = 1;
  list(): Task[] {
    return this.#tasks.map((t) => ({ ...t }));
  }
  add(title: string): Task {
    const task = { id: this.#next++, title, done: false };
    this.#tasks.push(task);
    return task;
  }
  toggle(id: number): void {
    const task = this.#tasks.find((t) => t.id === id);
    if (task) task.done = !task.done;
  }
  move(id: number, to: number): void {
    const from = this.#tasks.findIndex((t) => t.id === id);
    if (from < 0) return;
    const [task] = this.#tasks.splice(from, 1);
    this.#tasks.splice(Math.max(0, Math.min(to, this.#tasks.length)), 0, task!);
  }
}

const NewTask = z.object({
  title: z.string().trim().min(3, "At least 3 characters."),
});

export class TasksView extends LiveView {
  static override templateName = "tasks.html";

  tasks: Task[] = [];
  filter: "all" | "open" | "done" = "all";
  form: FormState<unknown> = emptyForm({ title: "" });
  _store?: TaskStore; // private: never serialized, wired again on every (re)connect

  override setup(_request: LiveRequest, params: Params) {
    this._store = params.store as TaskStore;
  }

  override mount() {
    this.tasks = this._store!.list();
    this.pageTitle = `Tasks (${this.tasks.length})`;
  }

  // After mount and on every live patch: the URL is the source of truth for the filter.
  override handleParams(params: Params) {
    const filter = params.filter;
    this.filter = filter === "open" || filter === "done" ? filter : "all";
  }

  // dj-change: every keystroke validates; only touched fields show their errors.
  @eventHandler({ params: "any" })
  async validate(params: Record<string, unknown>) {
    this.form = await form(NewTask, params, { previous: this.form });
  }

  // dj-submit: the whole form is checked and every error shown.
  @eventHandler({ params: "any" })
  async add(params: Record<string, unknown>) {
    const checked = await form(NewTask, params, { submitted: true });
    if (!checked.valid || !checked.data) {
      this.form = checked;
      return;
    }
    const task = this._store!.add(checked.data.title);
    this.tasks = this._store!.list();
    this.form = emptyForm({ title: "" });
    this.pageTitle = `Tasks (${this.tasks.length})`;
    this.putFlash("info", `Added “${task.title}”.`);
  }

  // dj-click with dj-value-id="{{ task.id }}": the string is coerced to a number by the schema.
  @eventHandler({ params: z.object({ id: z.number().int() }) })
  toggle({ id }: { id: number }) {
    this._store!.toggle(id);
    this.tasks = this._store!.list();
  }

  // A live patch from the server: the URL changes, handleParams runs, nothing remounts.
  @eventHandler({ params: z.object({ filter: z.enum(["all", "open", "done"]) }) })
  show({ filter }: { filter: string }) {
    this.pushPatch(filter === "all" ? "/tasks/" : `/tasks/?filter=${filter}`);
  }

  // Navigation to another live view (pushNavigate) or a full page load (redirect).
  @eventHandler({ params: z.object({ id: z.number().int() }) })
  open({ id }: { id: number }) {
    this.pushNavigate(`/tasks/${id}/`);
  }

  @eventHandler
  logout() {
    this.redirect("/logout/");
  }

  // Sent by the Sortable hook (this.pushEvent("reorder", { id, to })): JSON, not strings.
  @eventHandler({ params: z.object({ id: z.number().int(), to: z.number().int() }) })
  reorder({ id, to }: { id: number; to: number }) {
    this._store!.move(id, to);
    this.tasks = this._store!.list();
    this.pushEvent("reordered", { id, to }); // to the hook's this.handleEvent("reordered", …)
  }

  // dj-window-keyup="clear_filter" dj-key="Escape"
  @eventHandler
  clear_filter() {
    this.pushPatch("/tasks/");
  }

  override getContextData() {
    const shown = this.tasks.filter(
      (t) => this.filter === "all" || t.done === (this.filter === "done"),
    );
    return { shown };
  }
}

/** One task, where the list's "details" links go (`pushNavigate`). */
export class TaskView extends LiveView {
  task: Task | null = null;
  _store?: TaskStore;

  override setup(_request: LiveRequest, params: Params) {
    this._store = params.store as TaskStore;
  }

  override mount(_request: LiveRequest, params: Params) {
    this.task = this._store!.list().find((t) => t.id === Number(params.id)) ?? null;
  }

  override render() {
    return html`<h1>${this.task?.title ?? "No such task"}</h1>
      <p>${this.task?.done ? "Done" : "Open"}</p>
      <a href="/tasks/" data-phx-link="redirect" data-phx-link-state="push">All tasks</a>`;
  }
}

export const store = new TaskStore();
export const app = createApp({
  secretKey: "docs-example-secret",
  templateDirs: [new URL("./templates", import.meta.url).pathname],
});
app.live("/tasks/", liveSession(TasksView, { store }), { name: "tasks" });
app.live("/tasks/:id/", liveSession(TaskView, { store }), { name: "task" });
