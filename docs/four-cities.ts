/**
 * Four cities, four instances: watch a need fulfilled in City A turn
 * fulfilled in City D, which only hears of it through re-shares.
 *
 *   npm run four-cities
 *
 * Starts four instances on loopback (each its own process and embedded
 * database, in a temporary directory), links them A ← B ← C ← D by follows,
 * has B and C re-share A's need, then marks it fulfilled at A and times how
 * long City D takes to show it. Everything is stopped and deleted at the end.
 */
import "../src/polyfill.ts";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { ADMIN_TOKEN, freePort } from "../bench/lib/instance.ts";
import {
  api,
  json,
  launch,
  type ProcessNode,
  stop,
  waitUntil,
} from "../bench/lib/process-instance.ts";

const CITIES = ["A", "B", "C", "D"] as const;
const started = performance.now();
const say = (line: string) =>
  console.log(`[${((performance.now() - started) / 1000).toFixed(1).padStart(5)} s] ${line}`);

interface Copy {
  objectId: string;
  title: string;
  status: string;
  sharedBy: string[];
}

async function copyOf(node: ProcessNode, objectId: string): Promise<Copy | undefined> {
  const page = await json<{ items: Copy[] }>(
    api(node, "GET", "/api/v1/groups/aid/network?limit=100", undefined, null),
    "network",
  );
  return page.items.find((item) => item.objectId === objectId);
}

const root = await mkdtemp(path.join(tmpdir(), "bayanihan-four-cities-"));
const nodes: ProcessNode[] = [];
try {
  for (const [index, city] of CITIES.entries()) {
    const port = await freePort();
    nodes.push({
      index,
      port,
      origin: `http://127.0.0.1:${port}`,
      dataDir: path.join(root, city),
      token: "",
      process: null,
    });
  }
  say("Starting four instances (each initialises its embedded database)…");
  await Promise.all(nodes.map(launch));
  for (const [index, node] of nodes.entries()) {
    const name = `City ${CITIES[index]} Mutual Aid`;
    await json(api(node, "POST", "/api/v1/groups", { handle: "aid", name }, ADMIN_TOKEN), "group");
    node.token = (
      await json<{ token: string }>(
        api(node, "POST", "/api/v1/groups/aid/tokens", undefined, ADMIN_TOKEN),
        "token",
      )
    ).token;
    say(`${name}: ${node.origin}/groups/aid`);
  }
  const [a, b, c, d] = nodes as [ProcessNode, ProcessNode, ProcessNode, ProcessNode];
  for (const [follower, followed] of [
    [b, a],
    [c, b],
    [d, c],
  ] as const) {
    const follow = await json<{ id: string }>(
      api(follower, "POST", "/api/v1/groups/aid/following", {
        account: `${followed.origin}/groups/aid`,
      }),
      "follow",
    );
    await waitUntil(
      "the follow to be accepted",
      async () => {
        const list = await json<{ items: { id: string; state: string }[] }>(
          api(follower, "GET", "/api/v1/groups/aid/following"),
          "following",
        );
        return list.items.find((f) => f.id === follow.id)?.state === "accepted";
      },
      60_000,
    );
    say(`City ${CITIES[follower.index]} follows City ${CITIES[followed.index]}`);
  }

  const need = await json<{ id: string; objectId: string }>(
    api(a, "POST", "/api/v1/groups/aid/needs", {
      title: "20 insulin coolers",
      category: "medication",
      quantity: { amount: 20, unit: "one" },
      urgency: "high",
    }),
    "need",
  );
  say(`City A posts "20 insulin coolers": ${need.objectId}`);
  for (const [holder, next] of [
    [b, c],
    [c, d],
  ] as const) {
    await waitUntil(
      "the need to arrive",
      async () => (await copyOf(holder, need.objectId)) !== undefined,
      60_000,
    );
    await json(
      api(holder, "POST", "/api/v1/groups/aid/shares", { objectId: need.objectId }),
      "share",
    );
    say(`City ${CITIES[holder.index]} re-shares it to its followers (City ${CITIES[next.index]})`);
  }
  await waitUntil(
    "the need to reach D",
    async () => (await copyOf(d, need.objectId)) !== undefined,
    60_000,
  );
  const before = await copyOf(d, need.objectId);
  say(
    `City D shows it: "${before?.title}", ${before?.status}, shared by ${before?.sharedBy.join(", ")}`,
  );

  await json(api(a, "PATCH", `/api/v1/needs/${need.id}`, { status: "fulfilled" }), "fulfil");
  const fulfilledAt = performance.now();
  say("City A marks it fulfilled (A does not know City D exists)");
  for (const node of [b, c, d]) {
    await waitUntil(
      "the change to travel",
      async () => (await copyOf(node, need.objectId))?.status === "fulfilled",
      60_000,
    );
    say(
      `City ${CITIES[node.index]} shows it fulfilled, ${((performance.now() - fulfilledAt) / 1000).toFixed(1)} s after A's change`,
    );
  }
} finally {
  say("Stopping the four instances");
  await Promise.all(nodes.map((node) => stop(node, "SIGTERM")));
  await rm(root, { recursive: true, force: true });
}
