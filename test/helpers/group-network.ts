import { startTestInstance, type TestInstance } from "./instance.ts";
import { waitFor } from "./wait.ts";

/** One instance with one group and its coordinator token, as a test network's node. */
export interface GroupNode {
  readonly instance: TestInstance;
  readonly handle: string;
  readonly token: string;
  /** The group's actor id. */
  readonly actor: string;
  /** Calls the API as the group's coordinator. */
  api(method: string, path: string, body?: unknown): Promise<Response>;
}

/** A received need or offer as the network API lists it. */
export interface NetworkItem {
  readonly objectId: string;
  readonly title: string;
  readonly status: string;
  readonly sharedBy: string[];
  readonly quantity: { amount: number; unit: string; remaining?: number; pledged?: number } | null;
}

/** Starts one instance per host, each with a group `handle`. */
export async function startGroupNodes(
  hosts: readonly string[],
  handle = "aid",
  options: Parameters<typeof startTestInstance>[0] = {},
): Promise<GroupNode[]> {
  const instances = await Promise.all(hosts.map((host) => startTestInstance({ ...options, host })));
  return Promise.all(
    instances.map(async (instance) => {
      await instance.api("POST", "/api/v1/groups", {
        handle,
        name: `Aid ${instance.config.origin.host}`,
      });
      const { token } = await (
        await instance.api("POST", `/api/v1/groups/${handle}/tokens`)
      ).json();
      return {
        instance,
        handle,
        token,
        actor: `${instance.config.origin.origin}/groups/${handle}`,
        api: (method: string, path: string, body?: unknown) =>
          instance.api(method, path, body, token),
      };
    }),
  );
}

/** `from` follows `to` and waits for the Accept. */
export async function followGroup(from: GroupNode, to: GroupNode): Promise<void> {
  const res = await from.api("POST", `/api/v1/groups/${from.handle}/following`, {
    account: to.actor,
  });
  if (res.status !== 202) throw new Error(`follow answered ${res.status}`);
  const { id } = await res.json();
  await waitFor(`${from.actor} to follow ${to.actor}`, async () => {
    const list = await (await from.api("GET", `/api/v1/groups/${from.handle}/following`)).json();
    return list.items.find((f: { id: string }) => f.id === id)?.state === "accepted";
  });
}

/** The group's network feed: what it received from the groups it follows. */
export async function networkOf(node: GroupNode): Promise<NetworkItem[]> {
  const res = await node.instance.api(
    "GET",
    `/api/v1/groups/${node.handle}/network`,
    undefined,
    null,
  );
  return (await res.json()).items;
}

/** The node's copy of an object, if it holds one. */
export async function copyOn(node: GroupNode, objectId: string): Promise<NetworkItem | undefined> {
  return (await networkOf(node)).find((item) => item.objectId === objectId);
}
