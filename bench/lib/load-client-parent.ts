/** The parent's side of ./load-client.ts. */
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { onCleanup } from "./instance.ts";
import type { ClientCommand, ClientEvent, PreparedRequest } from "./load-client.ts";
import { sleep } from "./stats.ts";

export type { PreparedRequest } from "./load-client.ts";

export interface FireResult {
  readonly statuses: ReadonlyMap<number, number>;
  readonly elapsedMs: number;
  readonly error: string | null;
}

/** Turns a (signed) Request into plain data for the client process. */
export async function prepare(request: Request): Promise<PreparedRequest> {
  return {
    url: request.url,
    method: request.method,
    headers: [...request.headers],
    body: await request.text(),
  };
}

export class LoadClient {
  readonly #child: ChildProcess;
  readonly #ready: Promise<void>;
  #pending: ((event: ClientEvent & { type: "fired" }) => void) | null = null;
  #pendingLoad: (() => void) | null = null;
  readonly #unregister: () => void;

  constructor() {
    const script = fileURLToPath(new URL("./load-client.ts", import.meta.url));
    this.#child = fork(script, [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    this.#ready = new Promise((resolve, reject) => {
      this.#child.once("exit", () => {
        reject(new Error("The load client exited"));
        this.#pending?.({ type: "fired", statuses: {}, elapsedMs: 0, error: "the client exited" });
        this.#pending = null;
        this.#pendingLoad?.();
        this.#pendingLoad = null;
      });
      this.#child.on("message", (event: ClientEvent) => {
        if (event.type === "ready") resolve();
        else if (event.type === "loaded") {
          const pending = this.#pendingLoad;
          this.#pendingLoad = null;
          pending?.();
        } else if (event.type === "fired") {
          const pending = this.#pending;
          this.#pending = null;
          pending?.(event);
        }
      });
    });
    // Awaited by fire(); an early exit must not count as an unhandled rejection meanwhile.
    this.#ready.catch(() => {});
    this.#unregister = onCleanup(() => this.stop());
  }

  /**
   * Hands the requests to the client process ahead of `fire`. Serialising
   * thousands of requests over IPC costs this process real CPU, which must
   * not be counted as the instance's: load, then start the clock, then fire.
   */
  async load(requests: readonly PreparedRequest[]): Promise<void> {
    await this.#ready;
    const loaded = new Promise<void>((resolve) => {
      this.#pendingLoad = resolve;
    });
    this.#child.send({ type: "load", requests } satisfies ClientCommand);
    await loaded;
  }

  /** Sends every loaded request, `inFlight` at a time; resolves when all are answered. */
  async fire(inFlight: number): Promise<FireResult> {
    await this.#ready;
    const answered = new Promise<ClientEvent & { type: "fired" }>((resolve) => {
      this.#pending = resolve;
    });
    this.#child.send({ type: "fire", inFlight } satisfies ClientCommand);
    const event = await answered;
    return {
      statuses: new Map(Object.entries(event.statuses).map(([k, v]) => [Number(k), v])),
      elapsedMs: event.elapsedMs,
      error: event.error,
    };
  }

  async stop(): Promise<void> {
    this.#unregister();
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.#child.once("exit", () => resolve()));
    if (this.#child.connected) this.#child.send({ type: "stop" } satisfies ClientCommand);
    await Promise.race([exited, sleep(3000)]);
    if (this.#child.exitCode === null) this.#child.kill();
  }
}
