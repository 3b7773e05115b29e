/** Real HTTP servers on 127.0.0.1 for the outbound tests. */

import { once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

export interface SeenRequest {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: string;
}

export interface LoopbackServer {
  origin: string;
  port: number;
  url(path: string): string;
  requests: SeenRequest[];
  close(): Promise<void>;
}

export type Handler = (
  request: IncomingMessage,
  response: ServerResponse,
  seen: SeenRequest,
) => unknown;

export async function startServer(handler: Handler): Promise<LoopbackServer> {
  const requests: SeenRequest[] = [];
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const seen: SeenRequest = {
      method: request.method ?? "",
      path: request.url ?? "",
      headers: request.headers,
      body: Buffer.concat(chunks).toString("utf8"),
    };
    requests.push(seen);
    try {
      await handler(request, response, seen);
    } catch {
      response.destroy();
    }
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    port,
    url: (path) => `${origin}${path}`,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export function sendJson(
  response: ServerResponse,
  body: unknown,
  contentType = "application/activity+json",
  status = 200,
): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    "Content-Type": contentType,
    "Content-Length": Buffer.byteLength(text),
  });
  response.end(text);
}

function drainedOrClosed(response: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      response.off("drain", done);
      response.off("close", done);
      resolve();
    };
    response.on("drain", done);
    response.on("close", done);
  });
}

export interface StreamProgress {
  /** Bytes handed to the socket (an upper bound on what the client read). */
  written: number;
  finished: boolean;
}

/**
 * Streams `total` bytes slowly, honouring back-pressure, so a client that
 * stops reading stops the server long before the end.
 */
export async function streamSlowly(
  response: ServerResponse,
  total: number,
  progress: StreamProgress,
  chunkSize = 64 * 1024,
  pauseMs = 2,
): Promise<void> {
  const chunk = Buffer.alloc(chunkSize, 0x20);
  let closed = false;
  response.once("close", () => {
    closed = true;
  });
  while (progress.written < total && !closed) {
    const fits = response.write(chunk);
    progress.written += chunkSize;
    if (!fits) await drainedOrClosed(response);
    await sleep(pauseMs);
  }
  if (!closed) {
    progress.finished = true;
    response.end();
  }
}

export const note = (id: string, extra: Record<string, unknown> = {}) => ({
  "@context": "https://www.w3.org/ns/activitystreams",
  id,
  type: "Note",
  content: "Need: two volunteers to sort donated rice on Saturday.",
  ...extra,
});
