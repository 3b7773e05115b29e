/**
 * Federation's own network: an undici dispatcher that every outgoing
 * federation request goes through, and nothing else in the process.
 *
 * - **Addresses are checked when connecting**, on the address the socket
 *   actually connects to: the host is resolved by our lookup, which refuses
 *   private and loopback answers (unless ALLOW_PRIVATE_ADDRESS), IP literals
 *   are judged before connecting, and the connected socket's remote address
 *   is judged again. A DNS server that answers a public address to a first
 *   check and a private one to the connection (DNS rebinding) gains nothing:
 *   there is no first check.
 * - **The federation policy is asked before connecting** to any host, so a
 *   refused host gets no connection even from a request made inside Fedify
 *   (its deliveries, its WebFinger lookups and their redirects).
 * - **Deadlines**: connect, headers (also the longest pause between two
 *   chunks of a body) and the whole request (`RequestDeadlines`), so a peer
 *   that accepts the connection and never answers holds a slot for seconds,
 *   not undici's 300 s.
 * - **A redirect answering anything but GET/HEAD is an error**: Fedify's
 *   deliveries follow redirects themselves and would re-POST the signed body
 *   to any `Location`; an inbox that redirects fails and is retried (as with
 *   Mastodon, whose inboxes never redirect).
 * - **`Retry-After` on answers to POSTs is handed on under another name**
 *   (`RETRY_AFTER_HEADER`): on seeing `Retry-After`, Fedify re-enqueues a copy
 *   of the message at the back of the line instead of letting our queue retry
 *   it in place, which lets an Update overtake its Create and escapes the
 *   72-hour schedule. The queue's retry policy reads it under the other name.
 *
 * Our document loaders pass the dispatcher to `fetch` explicitly. Fedify
 * 2.3.6 calls the global `fetch` itself (deliveries, WebFinger) and takes no
 * dispatcher, so `run(work)` marks the asynchronous scope of such work, and
 * the one dispatcher installed as undici's global one sends requests made
 * inside a scope through that scope's network; every other request in the
 * process goes through undici's ordinary agent, untouched. `globalThis.fetch`
 * is never replaced.
 */

import { AsyncLocalStorage } from "node:async_hooks";
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { isIP, type Socket } from "node:net";
import { FetchError } from "@fedify/vocab-runtime";
import {
  Agent,
  buildConnector,
  DecoratorHandler,
  Dispatcher,
  getGlobalDispatcher,
  setGlobalDispatcher,
} from "undici";
import { DisallowedUrlError, type HostLookup, isPublicAddress } from "./address-policy.ts";

/** Where a delivery's `Retry-After` is found by the retry policy (see above). */
export const RETRY_AFTER_HEADER = "Bayanihan-Retry-After";

/**
 * How long an outgoing request may take: to connect, until the answer's
 * headers (connect included), and in all (body included). Each failure is a
 * network error, which the delivery queue retries like no answer at all.
 */
export interface RequestDeadlines {
  readonly connectMs: number;
  readonly headersMs: number;
  readonly totalMs: number;
}

/** The production deadlines (FEDERATION.md, "Delivery"). */
export const DEFAULT_DEADLINES: RequestDeadlines = {
  connectMs: 5_000,
  headersMs: 15_000,
  totalMs: 30_000,
};

export class RedirectRefusedError extends FetchError {
  constructor(url: URL, status: number) {
    super(url, `Refused to follow a ${status} redirect answering a non-GET request to ${url.href}`);
    this.name = "RedirectRefusedError";
  }
}

export interface OutboundNetworkOptions {
  readonly allowPrivateAddress: boolean;
  /** Resolves host names; tests map names to loopback. Default: the system resolver. */
  readonly lookup?: HostLookup;
  /** The federation policy, asked before connecting to any host. */
  readonly isHostAllowed?: (url: URL) => Promise<boolean>;
  readonly deadlines?: RequestDeadlines;
}

export interface OutboundNetwork {
  /** `fetch` through this network (the global fetch with this dispatcher). */
  readonly fetch: typeof globalThis.fetch;
  readonly dispatcher: Dispatcher;
  /** Runs `work` so that the requests Fedify makes in it go through this network. */
  run<T>(work: () => T): T;
  close(): Promise<void>;
}

const scope = new AsyncLocalStorage<Dispatcher>();

/**
 * The process's undici global dispatcher: a request made in a `run` scope
 * goes through that scope's network, any other through the dispatcher that
 * was global before (undici's ordinary agent).
 */
class ScopedDispatcher extends Dispatcher {
  private readonly fallback: Dispatcher;
  constructor(fallback: Dispatcher) {
    super();
    this.fallback = fallback;
  }
  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler) {
    return (scope.getStore() ?? this.fallback).dispatch(options, handler);
  }
  override close(): Promise<void> {
    return this.fallback.close();
  }
  override destroy(): Promise<void> {
    return this.fallback.destroy();
  }
}

function installScopedDispatcher(): void {
  const current = getGlobalDispatcher();
  if (!(current instanceof ScopedDispatcher)) setGlobalDispatcher(new ScopedDispatcher(current));
}

const systemLookupAll: HostLookup = (hostname) =>
  new Promise((resolve, reject) =>
    dnsLookup(hostname, { all: true, verbatim: true }, (error, answers) =>
      error ? reject(error) : resolve(answers.map((answer) => answer.address)),
    ),
  );

type NetLookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * A `lookup` for `net.connect`: every answer must be public (when private
 * addresses are refused); the socket then connects to one of them.
 */
function checkingLookup(options: OutboundNetworkOptions) {
  const resolve = options.lookup ?? systemLookupAll;
  return (hostname: string, lookupOptions: { all?: boolean }, callback: NetLookupCallback) => {
    resolve(hostname).then(
      (addresses) => {
        const url = new URL(`http://${hostname.includes(":") ? `[${hostname}]` : hostname}/`);
        if (addresses.length === 0) {
          return callback(new DisallowedUrlError(url, "no-address", hostname), []);
        }
        const offending = options.allowPrivateAddress
          ? undefined
          : addresses.find((address) => !isPublicAddress(address));
        if (offending !== undefined) {
          return callback(
            new DisallowedUrlError(
              url,
              "non-public-address",
              `${hostname} resolves to ${offending}`,
            ),
            [],
          );
        }
        const answers = addresses.map((address) => ({
          address,
          family: isIP(address) === 6 ? 6 : 4,
        }));
        if (lookupOptions.all) return callback(null, answers);
        callback(null, answers[0]!.address, answers[0]!.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, []),
    );
  };
}

function connectorFor(options: OutboundNetworkOptions, deadlines: RequestDeadlines) {
  const base = buildConnector({
    timeout: deadlines.connectMs,
    // Passed on to net.connect / tls.connect.
    lookup: checkingLookup(options),
  } as buildConnector.BuildOptions);
  return (connectOptions: buildConnector.Options, callback: buildConnector.Callback): void => {
    const { hostname, protocol, port } = connectOptions;
    const url = new URL(`${protocol}//${hostname}${port ? `:${port}` : ""}/`);
    const host = hostname.startsWith("[") ? hostname.slice(1, -1) : hostname;
    const refuse = (error: Error) => callback(error, null);
    const judged = options.isHostAllowed?.(url) ?? Promise.resolve(true);
    judged.then(
      (allowed) => {
        if (!allowed) {
          return refuse(
            new DisallowedUrlError(url, "refused-host", `the federation policy refuses ${host}`),
          );
        }
        if (!options.allowPrivateAddress) {
          // The lookup is not asked for IP literals.
          if (isIP(host) !== 0 && !isPublicAddress(host)) {
            return refuse(new DisallowedUrlError(url, "non-public-address", host));
          }
          const name = host.toLowerCase().replace(/\.$/, "");
          if (name === "localhost" || name.endsWith(".localhost")) {
            return refuse(new DisallowedUrlError(url, "local-hostname", host));
          }
        }
        base(connectOptions, (error, socket) => {
          if (error !== null) return callback(error, null);
          // The address actually connected to, whatever resolved it.
          const remote = (socket as Socket).remoteAddress;
          if (!options.allowPrivateAddress && (remote === undefined || !isPublicAddress(remote))) {
            socket.destroy();
            return refuse(
              new DisallowedUrlError(url, "non-public-address", `${host} connected to ${remote}`),
            );
          }
          callback(null, socket);
        });
      },
      (error: Error) => refuse(error),
    );
  };
}

type Controller = Dispatcher.DispatchController;
type HeaderMap = Record<string, string | string[]>;
interface ControllerHandler {
  onRequestStart(controller: Controller, context: unknown): void;
  onResponseStart(
    controller: Controller,
    statusCode: number,
    headers: HeaderMap,
    statusMessage?: string,
  ): void;
  onResponseEnd(controller: Controller, trailers: HeaderMap): void;
  onResponseError(controller: Controller, error: Error): void;
}
/**
 * undici's DecoratorHandler at run time: it adapts the handler it wraps
 * (fetch's handlers still use undici's older callbacks) to the controller
 * API. Its published types describe only the older API.
 */
const ControllerDecorator = DecoratorHandler as unknown as new (
  handler: Dispatcher.DispatchHandler,
) => ControllerHandler;

/** Per request: the total deadline, redirects of non-GETs, Retry-After of POSTs. */
class RequestRules extends ControllerDecorator {
  private timer: NodeJS.Timeout | undefined;
  private readonly request: { url: URL; method: string };
  private readonly totalMs: number;

  constructor(
    handler: Dispatcher.DispatchHandler,
    request: { url: URL; method: string },
    totalMs: number,
  ) {
    super(handler);
    this.request = request;
    this.totalMs = totalMs;
  }

  override onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    this.timer = setTimeout(() => {
      controller.abort(
        new FetchError(this.request.url, `No complete answer within ${this.totalMs} ms`),
      );
    }, this.totalMs);
    this.timer.unref();
    super.onRequestStart(controller, context);
  }

  override onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[]>,
    statusMessage?: string,
  ): void {
    const { method, url } = this.request;
    if (method !== "GET" && method !== "HEAD" && statusCode >= 300 && statusCode < 400) {
      controller.abort(new RedirectRefusedError(url, statusCode));
      return;
    }
    let answered = headers;
    if (method === "POST" && headers["retry-after"] !== undefined) {
      const { "retry-after": retryAfter, ...rest } = headers;
      answered = { ...rest, [RETRY_AFTER_HEADER.toLowerCase()]: retryAfter };
    }
    super.onResponseStart(controller, statusCode, answered, statusMessage);
  }

  override onResponseEnd(
    controller: Dispatcher.DispatchController,
    trailers: Record<string, string | string[]>,
  ): void {
    clearTimeout(this.timer);
    super.onResponseEnd(controller, trailers);
  }

  override onResponseError(controller: Dispatcher.DispatchController, error: Error): void {
    clearTimeout(this.timer);
    super.onResponseError(controller, error);
  }
}

/** Builds federation's network (see the module comment). */
export function createOutboundNetwork(options: OutboundNetworkOptions): OutboundNetwork {
  installScopedDispatcher();
  const deadlines = options.deadlines ?? DEFAULT_DEADLINES;
  const agent = new Agent({
    connect: connectorFor(options, deadlines),
    headersTimeout: deadlines.headersMs,
    // Between two chunks of the body; the whole request is bounded by totalMs.
    bodyTimeout: deadlines.headersMs,
  });
  const dispatcher = agent.compose(
    (dispatch) => (dispatchOptions, handler) =>
      dispatch(
        dispatchOptions,
        new RequestRules(
          handler,
          {
            url: new URL(dispatchOptions.path, dispatchOptions.origin ?? undefined),
            method: (dispatchOptions.method ?? "GET").toUpperCase(),
          },
          deadlines.totalMs,
        ),
      ),
  );
  const networkFetch = ((input: RequestInfo | URL, init?: RequestInit) =>
    globalThis.fetch(input, { ...init, dispatcher } as RequestInit)) as typeof globalThis.fetch;
  return {
    fetch: networkFetch,
    dispatcher,
    run: (work) => scope.run(dispatcher, work),
    close: () => agent.close(),
  };
}
