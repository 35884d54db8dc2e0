// Testing through the page: elements and forms found in the rendered HTML, as a user sees them.
import assert from "node:assert/strict";
import { LiveViewTestClient } from "../../src/testing/index.js";
import { TaskStore, TasksView, TaskView } from "./live-views-tasks.js";

export async function testTasksByElement(templateDir: string): Promise<void> {
  const store = new TaskStore();
  store.add("Write the guide");
  const view = await LiveViewTestClient.mount(TasksView, {
    services: { store },
    templateDirs: [templateDir],
    routes: { "/tasks/": TasksView, "/tasks/:id/": TaskView }, // for followRedirect
  });

  // Forms: the event is the form's dj-change / dj-submit, the body its fields as rendered.
  await view.form("#new-task").change({ title: "ab" });
  assert.match(view.element("#new-task").html(), /At least 3 characters\./);
  await view.form("#new-task").submit({ title: "Ship it" });
  assert.equal(view.flash.info, "Added “Ship it”.");
  assert.ok(view.has("#tasks li", "Ship it"));

  // Clicks: the event and its dj-value-* come from the element (here id=1).
  await view.element("#task-1 input[type=checkbox]").click();
  assert.ok(view.has("#task-1 input[checked]"));
  // JS commands: their pushes reach the server (the hide is the browser's business).
  await view.element("#task-2 button", "Done and hide").click();
  assert.ok(view.has("#task-2 input[checked]"));

  // A live link patches this view; handleParams sees the new query.
  await view.element("nav a", "Open").click();
  assert.equal(view.assigns.filter, "open");
  assert.equal(view.has("#tasks li", "Ship it"), false);
  await view.element("nav a", "All").click();

  // Navigating away: follow it to the next live view, mounted with the same options.
  await view.element("#task-2 a", "details").click();
  const task = await view.followRedirect();
  assert.equal(task.element("h1").text(), "Ship it");

  // Mistakes in the test or the template fail the test instead of passing quietly.
  await assert.rejects(view.form("#new-task").submit({ titel: "x" }), {
    message: 'The form "#new-task" has no field named "titel"; did you mean "title"?',
  });
  assert.throws(() => view.element("button", "Ship"), /No element matches "button" with text/);

  await task.close();
  await view.close();
}
