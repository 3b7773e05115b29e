/**
 * The CPU an instance spends refusing bad inbox POSTs, through its real HTTP
 * server: Node's HTTP parser, Hono, our inbox screen and, for a bad signature,
 * Fedify's verification. Target: ≤ 0.25 ms of CPU per refusal.
 *
 * Each kind of request is sent `requests` times (after a warm-up) by a client
 * in another process (bench/lib/load-client.ts); the instance's process CPU
 * time (`process.cpuUsage()`, user + system) over the batch, divided by the
 * number of requests, is the cost of one refusal. The batch is repeated
 * `runs` times and the median reported. Every answer must be the expected
 * refusal, or the run says so.
 *
 * Kinds: no signature; a signature that does not verify (valid headers, a
 * real key, wrong signature bytes: the only kinds that reach an RSA
 * verification), draft-cavage and RFC 9421; a Date two hours old; a body that does not match its
 * Digest; a sender on a blocked domain.
 */

import { generateCryptoKeyPair } from "@fedify/fedify";
import { type Sender, signedCreate, startSenders } from "./inbox.ts";
import { createGroup, createStore, type Engine, startInstance } from "./lib/instance.ts";
import type { PreparedRequest } from "./lib/load-client.ts";
import { LoadClient } from "./lib/load-client-parent.ts";
import { median } from "./lib/stats.ts";

export interface RefusalOptions {
  readonly engines: readonly Engine[];
  readonly requests: number;
  readonly runs: number;
  readonly warmup: number;
  readonly inFlight: number;
  readonly targetMs: number;
  /** Only the kinds whose name contains one of these (all when absent). */
  readonly kinds?: readonly string[];
}

export const DEFAULT_REFUSAL: RefusalOptions = {
  engines: ["pglite", "postgres"],
  requests: 2000,
  runs: 3,
  warmup: 300,
  inFlight: 8,
  targetMs: 0.25,
};

export interface RefusalCase {
  readonly name: string;
  readonly expectedStatus: number;
  /** CPU ms per request, one value per run. */
  readonly cpuMs: number[];
  /** Answers other than the expected refusal, over all runs. */
  readonly unexpected: Map<number, number>;
}

export interface RefusalResult {
  readonly engine: Engine;
  readonly cases: RefusalCase[];
}

const BLOCKED_HOST = "blocked.example";

function withHeader(
  request: PreparedRequest,
  name: string,
  map: (value: string) => string,
): PreparedRequest {
  return {
    ...request,
    headers: request.headers.map(([k, v]) => [k, k.toLowerCase() === name ? map(v) : v] as const),
  };
}

interface Kind {
  readonly name: string;
  readonly expectedStatus: number;
  make(): Promise<PreparedRequest>;
}

function kinds(inbox: URL, origin: string, senders: Sender[], blocked: Sender): Kind[] {
  const sender = () => senders[Math.floor(Math.random() * senders.length)]!;
  return [
    {
      name: "no signature",
      expectedStatus: 401,
      async make() {
        const signed = await signedCreate(inbox, origin, sender());
        return {
          ...signed,
          headers: signed.headers.filter(([k]) => k.toLowerCase() !== "signature"),
        };
      },
    },
    {
      name: "bad signature (RSA verified)",
      expectedStatus: 401,
      async make() {
        // Same length, other bytes: well formed, but it does not verify.
        return withHeader(await signedCreate(inbox, origin, sender()), "signature", (value) =>
          value.replace(
            /signature="([A-Za-z0-9+/])/,
            (_, c: string) => `signature="${c === "A" ? "B" : "A"}`,
          ),
        );
      },
    },
    {
      name: "bad RFC 9421 signature (RSA verified)",
      expectedStatus: 401,
      async make() {
        const signed = await signedCreate(inbox, origin, sender(), { spec: "rfc9421" });
        return withHeader(signed, "signature", (value) =>
          value.replace(/=:([A-Za-z0-9+/])/, (_, c: string) => `=:${c === "A" ? "B" : "A"}`),
        );
      },
    },
    {
      name: "stale date (2 h)",
      expectedStatus: 401,
      make: () =>
        signedCreate(inbox, origin, sender(), { date: new Date(Date.now() - 2 * 3600_000) }),
    },
    {
      name: "digest mismatch",
      expectedStatus: 401,
      async make() {
        const signed = await signedCreate(inbox, origin, sender());
        return { ...signed, body: signed.body.replace("water", "wader") };
      },
    },
    {
      name: `blocked domain (${BLOCKED_HOST})`,
      expectedStatus: 403,
      make: () => signedCreate(inbox, `http://${BLOCKED_HOST}`, blocked),
    },
  ];
}

export async function runRefusal(
  options: RefusalOptions,
  log: (line: string) => void,
): Promise<RefusalResult[]> {
  const { origin, senders } = await startSenders(4);
  const blockedKeys = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
  const blockedId = new URL(`http://${BLOCKED_HOST}/users/spammer`);
  const blocked: Sender = {
    id: blockedId,
    keyId: new URL(`${blockedId.href}#main-key`),
    privateKey: blockedKeys.privateKey,
  };
  const client = new LoadClient();
  const results: RefusalResult[] = [];
  try {
    for (const engine of options.engines) {
      const store = await createStore(engine);
      try {
        const instance = await startInstance(store);
        try {
          await createGroup(instance, "refusal");
          const blocking = await instance.api("POST", "/api/v1/admin/federation/domains", {
            domain: BLOCKED_HOST,
            policy: "block",
          });
          if (blocking.status !== 201 && blocking.status !== 200) {
            throw new Error(`Blocking ${BLOCKED_HOST} failed: HTTP ${blocking.status}`);
          }
          const inbox = new URL("/inbox", instance.config.origin);
          const cases: RefusalCase[] = [];
          const selected = kinds(inbox, origin, senders, blocked).filter(
            (kind) =>
              options.kinds === undefined || options.kinds.some((part) => kind.name.includes(part)),
          );
          for (const kind of selected) {
            const batch = (n: number) => Promise.all(Array.from({ length: n }, () => kind.make()));
            await client.load(await batch(options.warmup));
            await client.fire(options.inFlight);
            const result: RefusalCase = {
              name: kind.name,
              expectedStatus: kind.expectedStatus,
              cpuMs: [],
              unexpected: new Map(),
            };
            for (let r = 0; r < options.runs; r++) {
              await client.load(await batch(options.requests));
              const before = process.cpuUsage();
              const fired = await client.fire(options.inFlight);
              const used = process.cpuUsage(before);
              result.cpuMs.push((used.user + used.system) / 1000 / options.requests);
              for (const [status, n] of fired.statuses) {
                if (status !== kind.expectedStatus) {
                  result.unexpected.set(status, (result.unexpected.get(status) ?? 0) + n);
                }
              }
            }
            log(
              `  [${engine}] ${kind.name}: ${result.cpuMs.map((v) => v.toFixed(3)).join(", ")} ms CPU per request` +
                (result.unexpected.size > 0
                  ? `; UNEXPECTED answers ${JSON.stringify(Object.fromEntries(result.unexpected))}`
                  : `; all ${kind.expectedStatus}`),
            );
            cases.push(result);
          }
          results.push({ engine, cases });
        } finally {
          await instance.stop();
        }
      } finally {
        await store.dispose();
      }
    }
  } finally {
    await client.stop();
  }
  return results;
}

export function medianCpuMs(c: RefusalCase): number {
  return median(c.cpuMs);
}
