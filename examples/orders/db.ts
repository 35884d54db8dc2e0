/**
 * The example's SQLite database (better-sqlite3): orders, users and a shared counter, created and
 * seeded on first run.
 * @module
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { randomBytes, scryptSync, timingSafeEqual } from "node:crypto";
import Database from "better-sqlite3";

/** Order statuses, in workflow order. */
export const STATUSES = ["pending", "shipped", "delivered", "refunded"] as const;
export type OrderStatus = (typeof STATUSES)[number];

/** One row of `orders`. */
export interface OrderRow {
  id: number;
  customer: string;
  item: string;
  qty: number;
  amount_cents: number;
  /** `amount_cents` in currency units. */
  amount: number;
  status: OrderStatus;
  created_at: string;
}

/** One row of `users` (without the password hash). */
export interface UserRow {
  id: number;
  username: string;
  permissions: string[];
}

/** New order input. */
export interface NewOrder {
  customer: string;
  item: string;
  qty: number;
  amount_cents: number;
}

function hashPassword(password: string): string {
  const salt = randomBytes(16);
  return `${salt.toString("hex")}:${scryptSync(password, salt, 32).toString("hex")}`;
}

function checkPassword(password: string, stored: string): boolean {
  const [saltHex, hashHex] = stored.split(":");
  if (!saltHex || !hashHex) return false;
  const expected = Buffer.from(hashHex, "hex");
  const actual = scryptSync(password, Buffer.from(saltHex, "hex"), expected.length);
  return timingSafeEqual(actual, expected);
}

const SEED_ORDERS: [string, string, number, number, OrderStatus][] = [
  ["Ada Lovelace", "Difference engine gears", 3, 12_900, "pending"],
  ["Grace Hopper", "Compiler manual", 1, 4_500, "shipped"],
  ["Alan Turing", "Enigma rotor", 2, 25_000, "pending"],
  ["Edsger Dijkstra", "Semaphore flags", 4, 1_999, "delivered"],
  ["Barbara Liskov", "Substitution tiles", 10, 7_500, "pending"],
];

/** The example's data access. */
export class OrdersDb {
  readonly #db: Database.Database;

  constructor(path: string) {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.#db = new Database(path);
    this.#db.pragma("journal_mode = WAL");
    this.#migrate();
  }

  #migrate(): void {
    this.#db.exec(`
      CREATE TABLE IF NOT EXISTS orders (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        customer TEXT NOT NULL,
        item TEXT NOT NULL,
        qty INTEGER NOT NULL,
        amount_cents INTEGER NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending',
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
      );
      CREATE TABLE IF NOT EXISTS users (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        username TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        permissions TEXT NOT NULL DEFAULT ''
      );
      CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
    `);
    const seeded = this.#db.prepare("SELECT COUNT(*) AS n FROM users").get() as { n: number };
    if (seeded.n > 0) return;
    const insertUser = this.#db.prepare(
      "INSERT INTO users (username, password_hash, permissions) VALUES (?, ?, ?)",
    );
    const insertOrder = this.#db.prepare(
      "INSERT INTO orders (customer, item, qty, amount_cents, status) VALUES (?, ?, ?, ?, ?)",
    );
    this.#db.transaction(() => {
      insertUser.run("alice", hashPassword("alice"), "orders.change_order,orders.refund_order");
      insertUser.run("bob", hashPassword("bob"), "orders.change_order");
      for (const row of SEED_ORDERS) insertOrder.run(...row);
    })();
  }

  /** Orders, newest first, optionally of one status. */
  orders(status?: OrderStatus): OrderRow[] {
    if (status) {
      return this.#db
        .prepare(
          "SELECT *, amount_cents / 100.0 AS amount FROM orders WHERE status = ? ORDER BY id DESC",
        )
        .all(status) as OrderRow[];
    }
    return this.#db
      .prepare("SELECT *, amount_cents / 100.0 AS amount FROM orders ORDER BY id DESC")
      .all() as OrderRow[];
  }

  order(id: number): OrderRow | undefined {
    return this.#db
      .prepare("SELECT *, amount_cents / 100.0 AS amount FROM orders WHERE id = ?")
      .get(id) as OrderRow | undefined;
  }

  setStatus(id: number, status: OrderStatus): boolean {
    return (
      this.#db.prepare("UPDATE orders SET status = ? WHERE id = ?").run(status, id).changes > 0
    );
  }

  insert(order: NewOrder): number {
    const result = this.#db
      .prepare("INSERT INTO orders (customer, item, qty, amount_cents) VALUES (?, ?, ?, ?)")
      .run(order.customer, order.item, order.qty, order.amount_cents);
    return Number(result.lastInsertRowid);
  }

  user(id: number): UserRow | undefined {
    const row = this.#db
      .prepare("SELECT id, username, permissions FROM users WHERE id = ?")
      .get(id) as { id: number; username: string; permissions: string } | undefined;
    if (!row) return undefined;
    return { ...row, permissions: row.permissions.split(",").filter(Boolean) };
  }

  /** The user with these credentials, or `undefined`. */
  authenticate(username: string, password: string): UserRow | undefined {
    const row = this.#db
      .prepare("SELECT id, password_hash FROM users WHERE username = ?")
      .get(username) as { id: number; password_hash: string } | undefined;
    if (!row || !checkPassword(password, row.password_hash)) return undefined;
    return this.user(row.id);
  }

  counter(name: string): number {
    const row = this.#db.prepare("SELECT value FROM counters WHERE name = ?").get(name) as
      { value: number } | undefined;
    return row?.value ?? 0;
  }

  bump(name: string, by: number): number {
    this.#db
      .prepare(
        "INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = value + excluded.value",
      )
      .run(name, by);
    return this.counter(name);
  }

  close(): void {
    this.#db.close();
  }
}
