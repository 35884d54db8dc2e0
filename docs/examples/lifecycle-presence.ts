import {
  LiveView,
  html,
  presenceList,
  type LiveRequest,
  type Params,
  type PresenceDiff,
  type Rendered,
} from "../../src/index.js";
import { createApp } from "../../src/server/index.js";

/** "Who is viewing this document": each tab tracks its user on the document's topic. */
export class DocumentView extends LiveView {
  doc = "";
  viewers: string[] = [];

  override mount(_request: LiveRequest, params: Params) {
    this.doc = String(params.id);
    void this.subscribe(this.topic); // presence_diff arrives on the topic's subscribers
    this.viewers = this.#names();
  }

  // Every join (a restore too): track, so a reconnect on another node is tracked there.
  override joined() {
    const name = String(this.user?.id ?? "guest");
    this.track(this.topic, name, { since: new Date().toISOString() });
    this.viewers = this.#names();
  }

  override handleInfo(message: unknown) {
    const diff = message as PresenceDiff;
    if (diff.event === "presence_diff") this.viewers = this.#names();
  }

  get topic(): string {
    return `document:${this.doc}`;
  }

  #names(): string[] {
    return Object.keys(presenceList(this, this.topic)).sort();
  }

  override render(): Rendered {
    return html`<h1>Document ${this.doc}</h1><p>Also here: ${this.viewers.join(", ")}</p>`;
  }
}

export const app = createApp({
  loadUser: (id) => ({ id }),
  presenceTimeoutMs: 10_000, // a crashed node's viewers leave within 10 s
  limits: { presencesPerTopic: 1_000, presencesPerView: 5 },
});
app.live("/documents/:id/", DocumentView);
