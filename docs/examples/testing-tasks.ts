// Testing a live view with djust/testing: no browser, no socket, the same code paths.
import assert from "node:assert/strict";
import { LiveViewTestClient } from "../../src/testing/index.js";
import { TaskStore, TasksView } from "./live-views-tasks.js";

export async function testTasksView(templateDir: string): Promise<void> {
  const store = new TaskStore();
  store.add("Write the guide");
  const view = await LiveViewTestClient.mount(TasksView, {
    services: { store }, // what liveSession would inject
    templateDirs: [templateDir],
    url: "http://testserver/tasks/?filter=open", // reaches handleParams
    strictSerialization: true, // a non-serializable state field fails the test
  });
  assert.equal(view.assigns.filter, "open");

  // dj-change: the touched field shows its error; the others stay quiet.
  await view.change("validate", { title: "ab" }, { target: "title" });
  assert.match(view.render(), /At least 3 characters\./);

  // dj-submit: saved, flash set, form reset.
  await view.submit("add", { title: "Ship it" });
  assert.deepEqual(
    (view.assigns.tasks as { title: string }[]).map((t) => t.title),
    ["Write the guide", "Ship it"],
  );
  assert.equal(view.flash.info, "Added “Ship it”.");
  assert.equal(view.title, "Tasks (2)"); // the page title an event set

  // dj-click with dj-value-*: values arrive as strings, the schema coerces them.
  await view.click("toggle", { id: "1" });
  assert.doesNotMatch(view.render(), /Write the guide/, "done tasks are hidden by ?filter=open");

  // Navigation: pushPatch is recorded; following it runs handleParams.
  await view.click("show", { filter: "done" });
  assert.deepEqual(view.navigations.at(-1), {
    kind: "patch",
    to: "/tasks/?filter=done",
    replace: false,
  });
  await view.patch("/tasks/?filter=done");
  assert.equal(view.assigns.filter, "done");
  assert.match(view.render(), /Write the guide/);
  await view.click("open", { id: "2" });
  assert.equal(view.navigations.at(-1)?.kind, "navigate");
  await view.click("logout");
  assert.equal(view.redirectedTo, "/logout/");

  // A hook's pushEvent: JSON values; the view pushes an event back to the hook.
  await view.event("reorder", { id: 2, to: 0 });
  assert.deepEqual(store.list()[0]?.title, "Ship it");
  assert.deepEqual(view.pushedEvents.at(-1), ["reordered", { id: 2, to: 0 }]);

  // A refused event is an error reply, not an exception: here a failed validation.
  const refused = await view.click("toggle", { id: "x" });
  assert.equal(refused.error?.error, "validation_error");

  await view.close();
}
