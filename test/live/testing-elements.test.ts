/**
 * `djust/testing` by element: events, values and form fields come from the rendered page, so a
 * binding or field name that names nothing fails the test (src/testing/element.ts, dom.ts).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import { LiveView, eventHandler, html, type Rendered } from "../../src/index.js";
import { LiveViewTestClient } from "../../src/testing/index.js";
import { parseHtml, querySelectorAll, textOf } from "../../src/testing/dom.js";

class BulkView extends LiveView {
  shipped = 0;
  last: Record<string, unknown> = {};

  @eventHandler
  bulk() {
    this.shipped++;
  }

  @eventHandler({ params: z.object({ id: z.number().int() }) })
  ship({ id }: { id: number }) {
    this.shipped += id;
  }

  @eventHandler({ params: "any" })
  save(params: Record<string, unknown>) {
    this.last = params;
  }

  @eventHandler({ params: "any" })
  search(params: Record<string, unknown>) {
    this.last = params;
  }

  override render(): Rendered {
    return html`<p id="shipped">${this.shipped}</p>
      <button dj-click="bulkk">Ship all</button>
      <button dj-click="nothing_like_it">Other</button>
      <button class="ship" dj-click="ship" dj-value-id="3">Ship #3</button>
      <button class="ship" dj-click="ship" dj-value-id="4">Ship #4</button>
      <input id="q" dj-keyup="search" dj-key="Enter" dj-value-scope="all" />
      <form id="edit" dj-submit="save" dj-change="save">
        <input type="hidden" name="token" value="t&amp;1" />
        <input name="title" value="Old" />
        <input type="checkbox" name="urgent" value="yes" checked />
        <input type="checkbox" name="gift" />
        <select name="size"><option value="s">S</option><option value="m" selected>M</option></select>
        <textarea name="note">Hi &lt;there&gt;</textarea>
        <input name="locked" value="x" disabled />
        <button type="submit">Save</button>
      </form>
      <form id="plain"><input name="a" /></form>
      <a href="/other/" data-phx-link="redirect">Elsewhere</a>`;
  }
}

/** A form whose params hold a date (no JSON form) beside a number. */
class BookingView extends LiveView {
  booked = "";
  @eventHandler({ params: z.object({ seats: z.number().int(), at: z.date() }) })
  book({ seats, at }: { seats: number; at: Date }) {
    this.booked = `${seats} at ${at.toISOString()}`;
  }
  override render(): Rendered {
    return html`<form dj-submit="book"><input name="seats" /><input name="at" /></form>`;
  }
}

describe("element()", () => {
  it("a dj-click naming no handler fails the test; sending the handler by name would pass", async () => {
    const view = await LiveViewTestClient.mount(BulkView);
    assert.equal((await view.click("bulk")).error, undefined);
    await assert.rejects(view.element("button", "Ship all").click(), {
      message:
        'dj-click="bulkk" on <button dj-click="bulkk"> names no handler of BulkView; did you mean "bulk"?',
    });
    await assert.rejects(view.element("button", "Other").click(), {
      message:
        'dj-click="nothing_like_it" on <button dj-click="nothing_like_it"> names no handler of BulkView; its handlers: bulk, ship, save, search',
    });
    assert.equal(view.assigns.shipped, 1);
  });

  it("sends the element's dj-value-* (coerced by the schema) and picks one element by text", async () => {
    const view = await LiveViewTestClient.mount(BulkView);
    assert.throws(() => view.element("button.ship"), {
      message:
        '"button.ship" matches 2 elements; narrow it down with a text filter or a more specific selector',
    });
    await view.element("button.ship", /#4$/).click();
    assert.equal(view.element("#shipped").text(), "4");
    assert.throws(() => view.element("button", "Ship #9"), {
      message:
        'No element matches "button" with text "Ship #9" (the texts of "button": "Ship all", "Other", "Ship #3", "Ship #4", "Save")',
    });
    await assert.rejects(view.element("#shipped").click(), {
      message: '<p id="shipped"> has no dj-click and is not a live link',
    });
  });

  it("key events honour dj-key and carry dj-value-*", async () => {
    const view = await LiveViewTestClient.mount(BulkView);
    await assert.rejects(view.element("#q").keyup("a"), {
      message:
        '<input id="q" dj-keyup="search" dj-key="Enter" dj-value-scope="all"> only sends dj-keyup for the key "Enter"',
    });
    await view.element("#q").keyup("Enter");
    assert.deepEqual((view.view as BulkView).last, { key: "Enter", scope: "all" });
  });
});

describe("form()", () => {
  it("submits the fields as rendered (hidden, checked boxes, selected option, textarea), values filled in", async () => {
    const view = await LiveViewTestClient.mount(BulkView);
    await view.form("#edit").submit({ title: "New", gift: "on" });
    assert.deepEqual((view.view as BulkView).last, {
      token: "t&1",
      urgent: "yes",
      size: "m",
      note: "Hi <there>",
      title: "New",
      gift: "on",
    });
  });

  it("a form with a date field still has its numbers coerced from the strings it sends", async () => {
    const view = await LiveViewTestClient.mount(BookingView);
    const result = await view.form("form").submit({ seats: "3", at: "2026-12-06T10:00:00Z" });
    assert.equal(result.error, undefined, JSON.stringify(result.error));
    assert.equal((view.view as BookingView).booked, "3 at 2026-12-06T10:00:00.000Z");
    const refused = await view.form("form").submit({ seats: "three", at: "2026-12-06T10:00:00Z" });
    assert.equal(refused.error?.error, "validation_error");
    assert.deepEqual(Object.keys(refused.error?.details ?? {}), ["seats"]);
  });

  it("a change names its target and marks the fields not typed into as untouched", async () => {
    const view = await LiveViewTestClient.mount(BulkView);
    await view.form("#edit").change({ note: "typed" });
    // The handler gets the fields; the untouched markers are for form() (src/live/forms.ts).
    assert.equal(((view.view as BulkView).last as { note: string }).note, "typed");
    assert.equal(((view.view as BulkView).last as { title: string }).title, "Old");
  });

  it("a field the form does not have, or a form without the binding, fails the test", async () => {
    const view = await LiveViewTestClient.mount(BulkView);
    await assert.rejects(view.form("#edit").submit({ titl: "x" }), {
      message: 'The form "#edit" has no field named "titl"; did you mean "title"?',
    });
    await assert.rejects(view.form("#edit").submit({ locked: "y" }), {
      message:
        'The form "#edit" has no field named "locked"; its fields: token, title, urgent, gift, size, note',
    });
    await assert.rejects(view.form("#plain").submit(), {
      message: '<form id="plain"> has no dj-submit',
    });
    assert.throws(() => view.form("#q"), { message: '"#q" is a <input>, not a <form>' });
  });
});

class ListView extends LiveView {
  @eventHandler
  leave() {
    this.putFlash("info", "Saved.");
    this.pushNavigate("/items/7/");
  }

  @eventHandler
  away() {
    this.redirect("/logout/");
  }

  override render(): Rendered {
    return html`<button dj-click="leave">Leave</button><button dj-click="away">Log out</button>`;
  }
}

class ItemView extends LiveView {
  id = "";
  override mount(_request: unknown, params: Record<string, unknown>) {
    this.id = String(params.id);
  }
  override render(): Rendered {
    return html`<h1>Item ${this.id}</h1>`;
  }
}

describe("followRedirect()", () => {
  it("mounts the view of the route navigated to, with its params and the carried flash", async () => {
    const view = await LiveViewTestClient.mount(ListView, {
      routes: { "/items/:id/": ItemView },
    });
    await assert.rejects(view.followRedirect(), {
      message: "ListView did not navigate to another page (redirect, pushNavigate or a live link)",
    });
    await view.element("button", "Leave").click();
    const item = await view.followRedirect();
    assert.equal(item.element("h1").text(), "Item 7");
    assert.equal(item.url.pathname, "/items/7/");
    assert.deepEqual(item.flash, { info: "Saved." });
    await view.element("button", "Log out").click();
    await assert.rejects(view.followRedirect(), {
      message:
        'No live route serves /logout/ (the redirect from ListView); pass routes: { "<pattern>": View } to LiveViewTestClient.mount',
    });
  });

  it("a live link to another view is followed the same way", async () => {
    const view = await LiveViewTestClient.mount(BulkView, { routes: { "/other/": ItemView } });
    await view.element("a", "Elsewhere").click();
    assert.deepEqual(view.navigations.at(-1), { kind: "navigate", to: "/other/", replace: false });
    const other = await view.followRedirect();
    assert.match(other.render(), /<h1>Item undefined<\/h1>/);
  });
});

describe("the page parser and selectors", () => {
  const root = parseHtml(
    `<ul id="l"><li class="a b" data-x="1">One &amp; <b>two</b><li class="a">Three</ul>` +
      `<p>para<div>block</div><script>if (a < b) {}</script><!-- <li>no</li> -->`,
  );
  const texts = (selector: string) => querySelectorAll(root, selector).map(textOf);

  it("closes implied ends and keeps raw text raw", () => {
    assert.deepEqual(texts("li"), ["One & two", "Three"]);
    assert.deepEqual(texts("ul > li.a.b[data-x='1']"), ["One & two"]);
    assert.deepEqual(texts("#l b, div"), ["two", "block"]);
    assert.deepEqual(texts("p div"), [], "a <div> ends an open <p>");
    assert.deepEqual(texts("li[class~=b], li[class^=a][class$=a]"), ["One & two", "Three"]);
    assert.equal(querySelectorAll(root, "script")[0]?.children[0], "if (a < b) {}");
  });

  it("refuses selectors it does not understand", () => {
    assert.throws(() => querySelectorAll(root, "li:first-child"), {
      message: 'Unsupported selector "li:first-child"',
    });
  });
});
