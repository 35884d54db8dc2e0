// Minimal types for the `phoenix` package (it ships none): only what client/index.ts uses.
declare module "phoenix" {
  export class Socket {
    constructor(endPoint: string, opts?: Record<string, unknown>);
    connect(): void;
    disconnect(callback?: () => void, code?: number, reason?: string): void;
    isConnected(): boolean;
  }
  export class LongPoll {
    constructor(endPoint: string, protocols?: string[]);
  }
}
