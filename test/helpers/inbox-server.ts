import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** One request that reached a fake inbox, with what the inbox answered (null while pending). */
export interface InboxRequest {
  /** 0-based position among the requests this server received. */
  readonly index: number;
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The activity's `type` when the body is a JSON object with a string `type`. */
  readonly type: string | undefined;
  /** The activity's `id` when the body is a JSON object with a string `id`. */
  readonly id: string | undefined;
  readonly status: number | null;
}

/** What the inbox answers: a status, or a status with headers. May wait before answering. */
export type InboxAnswer = number | { status: number; headers?: Record<string, string> };
export type InboxResponder = (request: InboxRequest) => InboxAnswer | Promise<InboxAnswer>;

/**
 * A follower's inbox that is nothing but a small HTTP server on loopback: it
 * records every request and answers as the test says. It verifies nothing
 * (no signatures); delivery tests care about what arrives and in what order.
 */
export interface InboxServer {
  readonly origin: URL;
  readonly port: number;
  /** `origin` + `/inbox`. */
  readonly inbox: URL;
  readonly requests: readonly InboxRequest[];
  /** The POSTs, in arrival order. */
  posts(): InboxRequest[];
  /** Types of the POSTs answered with a 2xx, in arrival order: what the peer accepted. */
  accepted(): (string | undefined)[];
  close(): Promise<void>;
}

export async function startInboxServer(
  respond: InboxResponder = () => 202,
  options: { host?: string; port?: number } = {},
): Promise<InboxServer> {
  const host = options.host ?? "127.0.0.1";
  const requests: InboxRequest[] = [];

  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    let json: unknown;
    try {
      json = body === "" ? undefined : JSON.parse(body);
    } catch {
      json = undefined;
    }
    const field = (name: string): string | undefined => {
      const value =
        typeof json === "object" && json !== null
          ? (json as Record<string, unknown>)[name]
          : undefined;
      return typeof value === "string" ? value : undefined;
    };
    const record: { -readonly [K in keyof InboxRequest]: InboxRequest[K] } = {
      index: requests.length,
      method: req.method ?? "",
      path: req.url ?? "",
      headers: req.headers,
      body,
      type: field("type"),
      id: field("id"),
      status: null,
    };
    requests.push(record);
    let answer: InboxAnswer;
    try {
      answer = await respond(record);
    } catch {
      answer = 500;
    }
    const { status, headers } = typeof answer === "number" ? { status: answer } : answer;
    record.status = status;
    if (res.destroyed) return;
    res.writeHead(status, { "content-type": "text/plain", ...headers });
    res.end(status >= 200 && status < 300 ? "" : `status ${status}`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const origin = new URL(`http://${host}:${port}`);

  const posts = () => requests.filter((r) => r.method === "POST");
  return {
    origin,
    port,
    inbox: new URL("/inbox", origin),
    requests,
    posts,
    accepted: () =>
      posts()
        .filter((r) => r.status !== null && r.status >= 200 && r.status < 300)
        .map((r) => r.type),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
