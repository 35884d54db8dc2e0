/**
 * docs/components.md's examples run: the to-do list (template files, update, sendUpdate, a
 * component's form) through djust/testing and over the app, and the html`` components.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { LiveViewTestClient } from "../../src/testing/index.js";
import { testTodos } from "../../docs/examples/components-testing.js";
import { todoApp } from "../../docs/examples/components-todo.js";
import { ReviewView, Stars } from "../../docs/examples/components-html.js";

const templateDirs = [fileURLToPath(new URL("../../docs/examples/templates", import.meta.url))];

describe("docs/components.md examples", () => {
  it("the to-do items change alone and take the list's updates", async () => {
    await testTodos(templateDirs);
  });

  it("the app serves the list with its items", async () => {
    const app = todoApp(templateDirs);
    const response = await app.fetch(new Request("http://localhost/todos/"));
    assert.equal(response.status, 200);
    const page = await response.text();
    assert.match(page, /<li id="todo-1" class="">[\s\S]*Write the report/);
    assert.match(page, /dj-target="2"/);
    await app.close();
  });

  it("html`` components rate each dish on its own", async () => {
    const view = await LiveViewTestClient.mount(ReviewView);
    await view.click("up", {}, { target: view.component(Stars, "Pie")!.myself });
    assert.equal(view.component(Stars, "Pie")?.rating, 1);
    assert.equal(view.component(Stars, "Soup")?.rating, 0);
    assert.match(view.render(), /Pie: ★/);
  });
});
