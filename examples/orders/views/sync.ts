/**
 * Two tabs kept in sync by pub/sub: a shared counter (in SQLite) and a shared message board.
 * @module
 */
import { z } from "zod";
import { eventHandler, type LiveRequest, type Params } from "../../../src/index.js";
import type { OrdersDb } from "../db.js";
import { AppView } from "./base.js";

const TOPIC = "sync";

/** Every tab shows the same clicks and messages; each change is broadcast to all of them. */
export class SyncView extends AppView {
  static override page = "sync";
  static override templateName = "sync.html";

  clicks = 0;
  /** Messages this tab posted: renders the message box anew, empty, after each. */
  posted = 0;
  messages: { text: string; at: string }[] = [];
  _db?: OrdersDb;

  override setup(_request: LiveRequest, params: Params): void {
    this._db = params.db as OrdersDb;
  }

  override async mount(): Promise<void> {
    this.pageTitle = "Sync";
    this.clicks = this._db?.counter("sync") ?? 0;
    await this.subscribe(TOPIC);
  }

  override handleInfo(message: unknown): void {
    const m = message as { clicks?: number; text?: string; at?: string };
    if (typeof m.clicks === "number") this.clicks = m.clicks;
    if (typeof m.text === "string") {
      this.messages = [{ text: m.text, at: m.at ?? "" }, ...this.messages].slice(0, 10);
    }
  }

  @eventHandler
  async bump() {
    this.clicks = this._db?.bump("sync", 1) ?? this.clicks + 1;
    await this.broadcast(TOPIC, { clicks: this.clicks });
  }

  @eventHandler({
    params: z.object({
      text: z.string().trim().min(1, "Type a message first.").max(200, "At most 200 characters."),
    }),
  })
  async post({ text }: { text: string }) {
    this.posted += 1;
    await this.broadcast(TOPIC, { text, at: new Date().toISOString().slice(11, 19) });
  }
}
