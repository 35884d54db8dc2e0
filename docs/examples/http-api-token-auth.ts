// Token auth for mobile apps, CLIs and servers: an auth class returns the user for a valid
// token or null to let the next class try. Tokens are not sent by browsers on their own, so
// the view turns CSRF off.
import { z } from "zod";
import { LiveView, eventHandler, permissionRequired, type User } from "../../src/index.js";
import { createApp, type AuthClass } from "../../src/server/index.js";

const apiTokens = new Map<string, User>([
  ["secret-token-alice", { id: "alice", permissions: ["orders.change_order"] }],
]);

export class TokenAuth implements AuthClass {
  // Documents the scheme in openapi.json (components.securitySchemes.bearerAuth).
  readonly securityScheme = { bearerAuth: { type: "http", scheme: "bearer" } };

  authenticate(request: Request): User | null {
    const header = request.headers.get("Authorization") ?? "";
    const token = header.startsWith("Bearer ") ? header.slice("Bearer ".length) : "";
    return apiTokens.get(token) ?? null;
  }
}

export class RefundView extends LiveView {
  static override apiName = "refunds";
  static override apiAuthClasses = [TokenAuth];
  static override csrfExempt = true;

  @eventHandler({ exposeApi: true, params: z.object({ order_id: z.number().int() }) })
  @permissionRequired("orders.change_order")
  create({ order_id }: { order_id: number }) {
    return { order_id, refunded: true, by: this.user?.id };
  }
}

export const app = createApp({ secretKey: "docs-example-secret" }).register(RefundView);

export async function refundWithToken(token: string, orderId: number): Promise<Response> {
  return app.fetch(
    new Request("http://localhost/djust/api/refunds/create/", {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: JSON.stringify({ order_id: orderId }),
    }),
  );
}
