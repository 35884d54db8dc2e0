// A to-do list whose items are LiveComponents: each item keeps its own `done` flag, handles its
// own events (dj-target="{{ myself }}") and re-renders alone; the list sends updates to them.
import { z } from "zod";
import { LiveComponent, LiveView, eventHandler } from "../../src/index.js";
import { createApp } from "../../src/server/index.js";

export class TodoItem extends LiveComponent {
  static override templateName = "todo_item.html"; // one root element
  id = 0;
  title = "";
  done = false;

  // Optional: without it every assign is copied to the field of the same name.
  override update(assigns: Readonly<Record<string, unknown>>): void {
    this.id = assigns.id as number;
    this.title = String(assigns.title);
    if (assigns.done !== undefined) this.done = assigns.done === true;
  }

  @eventHandler
  toggle() {
    this.done = !this.done;
  }

  // Validation, permissions and rate limits work as in a view.
  @eventHandler({ params: z.object({ title: z.string().trim().min(1) }) })
  rename({ title }: { title: string }) {
    this.title = title;
  }
}

export class TodoListView extends LiveView {
  static override templateName = "todo_list.html";
  heading = "Today";
  todos = [
    { id: 1, title: "Write the report" },
    { id: 2, title: "Water the plants" },
  ];

  @eventHandler
  finish_all() {
    // Applied after this render, to the components on the page only.
    for (const todo of this.todos) this.sendUpdate(TodoItem, todo.id, { done: true });
  }
}

export function todoApp(templateDirs: string[]) {
  const app = createApp({ secretKey: "dev", templateDirs });
  app.live("/todos/", TodoListView);
  app.component(TodoItem); // `{% live_component "todo-item" %}` finds it by this name
  return app;
}
