// Testing components with djust/testing: an element with dj-target sends its event to its
// component, and component(Class, id) reads that component's state.
import assert from "node:assert/strict";
import { LiveViewTestClient } from "../../src/testing/index.js";
import { TodoItem, TodoListView } from "./components-todo.js";

export async function testTodos(templateDirs: string[]) {
  const view = await LiveViewTestClient.mount(TodoListView, {
    templateDirs,
    components: [TodoItem], // what app.component registers
  });
  await view.element("#todo-2 button", "Done").click();
  assert.equal(view.component(TodoItem, 2)?.done, true);
  assert.equal(view.component(TodoItem, 1)?.done, false);

  await view.form("#todo-1 form").submit({ title: "Send the report" });
  assert.match(view.element("#todo-1").text(), /Send the report/);

  await view.element("button", "Finish all").click();
  assert.equal(view.component(TodoItem, 1)?.done, true);
}
