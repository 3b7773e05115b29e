/**
 * A load generator in its own process: it POSTs prepared requests to an
 * instance with a fixed number in flight and reports how they were answered.
 *
 * The inbox benchmarks run it as a child process (see `LoadClient` in
 * ./load-client-parent.ts) so that the instance's process spends its CPU on
 * the server side only: remote servers send from other machines, and
 * `process.cpuUsage()` in the instance's process must not count the client.
 */

/** One request, as plain data (IPC cannot carry Request objects). */
export interface PreparedRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: string;
}

/** Parent → client. */
export type ClientCommand =
  /** Keep these for the next `fire` (sent ahead, so that the parent's IPC is not timed). */
  | { readonly type: "load"; readonly requests: readonly PreparedRequest[] }
  | { readonly type: "fire"; readonly inFlight: number }
  | { readonly type: "stop" };

/** Client → parent. */
export type ClientEvent =
  | { readonly type: "ready" }
  | { readonly type: "loaded"; readonly count: number }
  | {
      readonly type: "fired";
      /** HTTP status → count; 0 counts requests that failed without an answer. */
      readonly statuses: Readonly<Record<string, number>>;
      /** Wall-clock ms from the first request sent to the last answer read. */
      readonly elapsedMs: number;
      /** One error message, when some requests failed without an answer. */
      readonly error: string | null;
    };

function send(event: ClientEvent): void {
  process.send?.(event);
}

async function fire(requests: readonly PreparedRequest[], inFlight: number): Promise<void> {
  const statuses: Record<string, number> = {};
  let error: string | null = null;
  let next = 0;
  const started = performance.now();
  const workers = Array.from({ length: Math.min(inFlight, requests.length) }, async () => {
    while (next < requests.length) {
      const prepared = requests[next++]!;
      let status = 0;
      try {
        const response = await fetch(prepared.url, {
          method: prepared.method,
          headers: prepared.headers as [string, string][],
          body: prepared.body,
        });
        await response.arrayBuffer();
        status = response.status;
      } catch (e) {
        error ??= String(e);
      }
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
  });
  await Promise.all(workers);
  send({ type: "fired", statuses, elapsedMs: performance.now() - started, error });
}

if (process.send !== undefined) {
  let loaded: readonly PreparedRequest[] = [];
  process.on("message", (command: ClientCommand) => {
    if (command.type === "load") {
      loaded = command.requests;
      send({ type: "loaded", count: loaded.length });
    } else if (command.type === "fire") {
      const requests = loaded;
      loaded = [];
      void fire(requests, command.inFlight);
    } else {
      process.disconnect?.();
      process.exit(0);
    }
  });
  process.on("disconnect", () => process.exit(0));
  send({ type: "ready" });
}
