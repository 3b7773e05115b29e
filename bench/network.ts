/**
 * Network convergence: ten instances on loopback, each its own process on
 * its own embedded database, joined by follows and re-shares into chains of
 * up to four hops. The origins post needs, then make a stream of changes
 * (edits, accepted pledges, status changes, deletes); for every change the
 * benchmark measures how long until the last copy anywhere reflects it, and
 * counts the copies still wrong at the end. With `kill`, one instance in the
 * middle of a chain is killed (SIGKILL) for a while mid-run and restarted.
 *
 * The copies are read through each instance's public network API, polled
 * once per `pollMs`: times are rounded up to that resolution.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { ADMIN_TOKEN, freePort, onCleanup } from "./lib/instance.ts";
import { api, json, launch, type ProcessNode, stop, waitUntil } from "./lib/process-instance.ts";
import { max, median, percentile, sleep } from "./lib/stats.ts";

export interface NetworkOptions {
  readonly needs: number;
  readonly changes: number;
  /** Changes started per second (the stream waits for each API answer). */
  readonly changesPerSecond: number;
  /** Kill one mid-chain instance for this long at 40 % of the stream; 0: no kill. */
  readonly killMs: number;
  readonly pollMs: number;
  /** How long to wait after the last change for every copy to converge. */
  readonly settleMs: number;
}

export const DEFAULT_NETWORK: NetworkOptions = {
  needs: 200,
  changes: 1000,
  changesPerSecond: 5,
  killMs: 0,
  pollMs: 1000,
  settleMs: 10 * 60_000,
};

export interface NetworkResult {
  readonly options: NetworkOptions;
  readonly instances: number;
  readonly copies: number;
  /** Per change: ms from the origin's answer until the last copy reflected it (unconverged ones excluded). */
  readonly convergenceMs: readonly number[];
  /** Changes some copy never reflected within the settle time. */
  readonly unconvergedChanges: number;
  /** Copies not showing their need's final state at the end. */
  readonly staleCopies: number;
  readonly setupMs: number;
  readonly streamMs: number;
  readonly counts: Readonly<Record<ChangeKind, number>>;
}

type ChangeKind = "edit" | "pledge" | "status" | "delete";

/**
 * The follow graph: `follows[i]` are the instances i follows. Instances 0
 * and 1 post needs; 2→3→4→5 re-share 0's needs along a chain (5 is four
 * hops from 0), 6→7→8→9 re-share 1's. 2 and 6 also follow the other origin,
 * and 9 follows 5, so some needs arrive by two paths; 3 also follows 4, a
 * loop between re-sharers.
 */
const FOLLOWS: readonly (readonly number[])[] = [
  [],
  [],
  [0, 1],
  [2, 4],
  [3],
  [4],
  [1, 0],
  [6],
  [7],
  [8, 5],
];
/** Which instances re-share what reaches them (the last of each chain does not). */
const SHARERS: readonly number[] = [2, 3, 4, 6, 7, 8];
const ORIGINS: readonly number[] = [0, 1];
/** Killed with `kill`: the middle of the first chain. */
const VICTIM = 3;
/** Pledges come from the far end of each chain. */
const PLEDGER: Readonly<Record<number, number>> = { 0: 5, 1: 9 };

interface CopyState {
  readonly updatedAt: string;
  readonly status: string;
}

interface Need {
  readonly id: string;
  readonly objectId: string;
  readonly origin: number;
  /** Instances holding a copy once the setup settled. */
  holders: number[];
  /** The need's state at its origin after its latest change; null once deleted. */
  latest: { updatedAt: string } | null;
}

interface Change {
  readonly need: Need;
  readonly kind: ChangeKind;
  /** The origin's `updatedAt` after the change; null for a delete. */
  readonly updatedAt: string | null;
  readonly at: number;
  /** Holders that have not reflected it yet. */
  readonly waiting: Set<number>;
  convergedAt: number | null;
}

/** Every copy a node's group holds, by object id (the network API, paged). */
async function copiesOn(node: ProcessNode): Promise<Map<string, CopyState>> {
  const copies = new Map<string, CopyState>();
  let cursor: string | null = null;
  do {
    const query: string = cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`;
    const page: {
      items: { objectId: string; updatedAt: string; status: string }[];
      nextCursor: string | null;
    } = await json(
      api(node, "GET", `/api/v1/groups/aid/network?limit=100${query}`, undefined, null),
      "network",
    );
    for (const item of page.items) {
      copies.set(item.objectId, { updatedAt: item.updatedAt, status: item.status });
    }
    cursor = page.nextCursor;
  } while (cursor !== null);
  return copies;
}

/** A seeded generator, so two runs make the same changes. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Each need gets its edits and pledges, then one ending (a status change
 * or a delete); the stream takes a random need's next change each time,
 * so a need's changes keep their order.
 */
function schedule(needs: readonly Need[], total: number, rand: () => number) {
  const endings = needs.length;
  const middle = Math.max(0, total - endings);
  const pledges = Math.round(middle * 0.2);
  const perNeed = needs.map((need, i) => ({
    need,
    steps: [] as ChangeKind[],
    ending: (i % 2 === 0 ? "status" : "delete") as ChangeKind,
  }));
  for (let i = 0; i < middle; i++) {
    perNeed[Math.floor(rand() * perNeed.length)]!.steps.push(i < pledges ? "pledge" : "edit");
  }
  for (const entry of perNeed) entry.steps.push(entry.ending);
  const stream: { need: Need; kind: ChangeKind }[] = [];
  const open = perNeed.filter((entry) => entry.steps.length > 0);
  while (open.length > 0) {
    const at = Math.floor(rand() * open.length);
    const entry = open[at]!;
    stream.push({ need: entry.need, kind: entry.steps.shift()! });
    if (entry.steps.length === 0) open.splice(at, 1);
  }
  return stream;
}

export async function runNetwork(
  options: NetworkOptions,
  log: (line: string) => void,
): Promise<NetworkResult> {
  const nodes: ProcessNode[] = [];
  const root = await mkdtemp(path.join(tmpdir(), "bayanihan-network-"));
  const unregister = onCleanup(async () => {
    await Promise.all(nodes.map((node) => stop(node, "SIGKILL")));
    await rm(root, { recursive: true, force: true });
  });
  try {
    const setupStart = performance.now();
    for (let i = 0; i < FOLLOWS.length; i++) {
      const port = await freePort();
      nodes.push({
        index: i,
        port,
        origin: `http://127.0.0.1:${port}`,
        dataDir: path.join(root, `i${i}`),
        token: "",
        process: null,
      });
    }
    // Two at a time: each cold start initialises a database in WASM.
    for (let i = 0; i < nodes.length; i += 2) await Promise.all(nodes.slice(i, i + 2).map(launch));
    for (const node of nodes) {
      await json(
        api(
          node,
          "POST",
          "/api/v1/groups",
          { handle: "aid", name: `Aid ${node.index}` },
          ADMIN_TOKEN,
        ),
        "group",
      );
      node.token = (
        await json<{ token: string }>(
          api(node, "POST", "/api/v1/groups/aid/tokens", undefined, ADMIN_TOKEN),
          "token",
        )
      ).token;
    }
    for (const [i, targets] of FOLLOWS.entries()) {
      for (const target of targets) {
        const follow = await json<{ id: string }>(
          api(nodes[i]!, "POST", "/api/v1/groups/aid/following", {
            account: `${nodes[target]!.origin}/groups/aid`,
          }),
          "follow",
        );
        await waitUntil(
          `${i} to follow ${target}`,
          async () => {
            const list = await json<{ items: { id: string; state: string }[] }>(
              api(nodes[i]!, "GET", "/api/v1/groups/aid/following"),
              "following",
            );
            return list.items.find((f) => f.id === follow.id)?.state === "accepted";
          },
          60_000,
        );
      }
    }

    const needs: Need[] = [];
    for (let n = 0; n < options.needs; n++) {
      const origin = ORIGINS[n % ORIGINS.length]!;
      const created = await json<{ id: string; objectId: string; updatedAt: string }>(
        api(nodes[origin]!, "POST", "/api/v1/groups/aid/needs", {
          title: `Need ${n}`,
          category: "food",
          quantity: { amount: 1000, unit: "one" },
          urgency: "normal",
        }),
        "need",
      );
      needs.push({ ...created, origin, holders: [], latest: { updatedAt: created.updatedAt } });
    }
    // Re-share along each chain, in chain order: a sharer shares once it holds them all.
    const wanted = new Set(needs.map((need) => need.objectId));
    for (const s of SHARERS) {
      const node = nodes[s]!;
      let held = new Map<string, CopyState>();
      await waitUntil(
        `instance ${s} to hold what it re-shares`,
        async () => {
          held = await copiesOn(node);
          const reachable = needs.filter((need) => reaches(need.origin, s));
          return reachable.every((need) => held.has(need.objectId));
        },
        300_000,
      );
      for (const objectId of held.keys()) {
        if (!wanted.has(objectId)) continue;
        const res = await api(node, "POST", "/api/v1/groups/aid/shares", { objectId });
        if (res.status !== 202 && res.status !== 409) {
          throw new Error(`share on ${s}: HTTP ${res.status} ${await res.text()}`);
        }
      }
    }
    // Who holds what once the shares have travelled.
    await waitUntil(
      "every re-share to arrive",
      async () => {
        for (const node of nodes.slice(2)) {
          const held = await copiesOn(node);
          for (const need of needs) {
            if (reaches(need.origin, node.index) && !held.has(need.objectId)) return false;
          }
        }
        return true;
      },
      300_000,
    );
    for (const need of needs) {
      need.holders = nodes
        .slice(2)
        .filter((node) => reaches(need.origin, node.index))
        .map((node) => node.index);
    }
    const setupMs = performance.now() - setupStart;

    // The stream of changes, with pollers watching every holder meanwhile.
    const rand = random(0xbaa1);
    const stream = schedule(needs, options.changes, rand);
    const changes: Change[] = [];
    const counts: Record<ChangeKind, number> = { edit: 0, pledge: 0, status: 0, delete: 0 };
    let polling = true;
    const down = new Set<number>();
    const poller = (async () => {
      while (polling) {
        const started = Date.now();
        await Promise.all(
          nodes.slice(2).map(async (node) => {
            if (down.has(node.index)) return;
            let copies: Map<string, CopyState>;
            try {
              copies = await copiesOn(node);
            } catch {
              return;
            }
            const now = performance.now();
            for (const change of changes) {
              if (change.convergedAt !== null || !change.waiting.has(node.index)) continue;
              const copy = copies.get(change.need.objectId);
              // A copy shows a change once it shows it or anything later: a
              // newer version, or (the need deleted since) no copy at all.
              const reflected =
                copy === undefined
                  ? change.updatedAt === null || change.need.latest === null
                  : change.updatedAt !== null &&
                    Temporal.Instant.compare(
                      Temporal.Instant.from(copy.updatedAt),
                      Temporal.Instant.from(change.updatedAt),
                    ) >= 0;
              if (!reflected) continue;
              change.waiting.delete(node.index);
              if (change.waiting.size === 0) change.convergedAt = now;
            }
          }),
        );
        await sleep(Math.max(0, options.pollMs - (Date.now() - started)));
      }
    })();

    const streamStart = performance.now();
    const killAt = options.killMs > 0 ? Math.floor(stream.length * 0.4) : -1;
    let restart: Promise<void> | null = null;
    for (const [n, { need, kind }] of stream.entries()) {
      if (n === killAt) {
        down.add(VICTIM);
        await stop(nodes[VICTIM]!, "SIGKILL");
        restart = sleep(options.killMs).then(async () => {
          await launch(nodes[VICTIM]!);
          down.delete(VICTIM);
        });
      }
      const due = streamStart + (n * 1000) / options.changesPerSecond;
      await sleep(Math.max(0, due - performance.now()));
      const origin = nodes[need.origin]!;
      let updatedAt: string | null;
      if (kind === "edit") {
        const edited = await json<{ updatedAt: string }>(
          api(origin, "PATCH", `/api/v1/needs/${need.id}`, { title: `Need edited ${n}` }),
          "edit",
        );
        updatedAt = edited.updatedAt;
      } else if (kind === "status") {
        const changed = await json<{ updatedAt: string }>(
          api(origin, "PATCH", `/api/v1/needs/${need.id}`, {
            status: n % 4 === 0 ? "closed" : "fulfilled",
          }),
          "status",
        );
        updatedAt = changed.updatedAt;
      } else if (kind === "delete") {
        const res = await api(origin, "DELETE", `/api/v1/needs/${need.id}`);
        if (res.status !== 204) throw new Error(`delete: HTTP ${res.status}`);
        updatedAt = null;
      } else {
        updatedAt = await pledgeAndAccept(nodes, need);
      }
      counts[kind]++;
      need.latest = updatedAt === null ? null : { updatedAt };
      changes.push({
        need,
        kind,
        updatedAt,
        at: performance.now(),
        waiting: new Set(need.holders),
        convergedAt: need.holders.length === 0 ? performance.now() : null,
      });
    }
    const streamMs = performance.now() - streamStart;
    await restart;
    const settleDeadline = performance.now() + options.settleMs;
    let lastReport = performance.now();
    while (changes.some((c) => c.convergedAt === null) && performance.now() < settleDeadline) {
      await sleep(options.pollMs);
      if (performance.now() - lastReport > 30_000) {
        lastReport = performance.now();
        const waiting = changes.filter((c) => c.convergedAt === null);
        log(
          `  settling: ${waiting.length} changes not everywhere yet, e.g. ${waiting
            .slice(0, 3)
            .map((c) => `${c.kind} of ${c.need.objectId} waiting on ${[...c.waiting].join(",")}`)
            .join("; ")}`,
        );
      }
    }
    polling = false;
    await poller;

    // The end state, read once more: every holder against its need's origin.
    let staleCopies = 0;
    let copies = 0;
    for (const node of nodes.slice(2)) {
      const held = await copiesOn(node);
      for (const need of needs) {
        if (!need.holders.includes(node.index)) continue;
        copies++;
        const copy = held.get(need.objectId);
        const right =
          need.latest === null ? copy === undefined : copy?.updatedAt === need.latest.updatedAt;
        if (!right) staleCopies++;
      }
    }
    return {
      options,
      instances: nodes.length,
      copies,
      convergenceMs: changes
        .filter((c) => c.convergedAt !== null)
        .map((c) => c.convergedAt! - c.at),
      unconvergedChanges: changes.filter((c) => c.convergedAt === null).length,
      staleCopies,
      setupMs,
      streamMs,
      counts,
    };
  } finally {
    await Promise.all(nodes.map((node) => stop(node, "SIGTERM")));
    await rm(root, { recursive: true, force: true });
    unregister();
  }
}

/** Whether `origin`'s needs reach instance `at` through follows (re-shares included). */
function reaches(origin: number, at: number): boolean {
  const seen = new Set<number>();
  const visit = (i: number): boolean => {
    if (seen.has(i)) return false;
    seen.add(i);
    return FOLLOWS[i]!.some(
      (target) => target === origin || (SHARERS.includes(target) && visit(target)),
    );
  };
  return visit(at);
}

/**
 * A pledge from the far end of the need's chain, answered by the origin:
 * the change measured is the acceptance (the origin's Update of the
 * pledged amount). Returns the need's `updatedAt` after it.
 */
async function pledgeAndAccept(nodes: readonly ProcessNode[], need: Need): Promise<string> {
  const pledger = nodes[PLEDGER[need.origin]!]!;
  const origin = nodes[need.origin]!;
  const pledge = await api(pledger, "POST", "/api/v1/groups/aid/pledges", {
    objectId: need.objectId,
    quantity: { amount: 1, unit: "one" },
  });
  if (pledge.status !== 201)
    throw new Error(`pledge: HTTP ${pledge.status} ${await pledge.text()}`);
  let responseId: string | null = null;
  await waitUntil(
    "the pledge to reach its origin",
    async () => {
      const list = await json<{ items: { id: string; state: string }[] }>(
        api(origin, "GET", `/api/v1/needs/${need.id}/responses?limit=100`),
        "responses",
      );
      responseId = list.items.find((r) => r.state === "proposed")?.id ?? null;
      return responseId !== null;
    },
    120_000,
  );
  await json(api(origin, "POST", `/api/v1/responses/${responseId}/accept`, {}), "accept");
  const need2 = await json<{ updatedAt: string }>(
    api(origin, "GET", `/api/v1/needs/${need.id}`),
    "need",
  );
  return need2.updatedAt;
}

export function networkSummary(result: NetworkResult): string[][] {
  const c = result.convergenceMs;
  return [
    ["instances", String(result.instances)],
    ["copies watched", String(result.copies)],
    [
      "changes",
      `${c.length + result.unconvergedChanges} (edits ${result.counts.edit}, pledges ${result.counts.pledge}, status ${result.counts.status}, deletes ${result.counts.delete})`,
    ],
    ["setup s", (result.setupMs / 1000).toFixed(0)],
    ["stream s", (result.streamMs / 1000).toFixed(0)],
    ["convergence p50 ms", median(c).toFixed(0)],
    ["convergence p90 ms", percentile(c, 0.9).toFixed(0)],
    ["convergence p99 ms", percentile(c, 0.99).toFixed(0)],
    ["convergence max ms", max(c).toFixed(0)],
    ["changes never converged", String(result.unconvergedChanges)],
    ["stale copies at the end", String(result.staleCopies)],
  ];
}
