import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestInstance, type TestInstance } from "./helpers/instance.ts";
import {
  type KeyedActor,
  type KeyedActorServer,
  newRsaKey,
  startKeyedActorServer,
} from "./helpers/keyed-actors.ts";
import { waitFor } from "./helpers/wait.ts";

const AS = "https://www.w3.org/ns/activitystreams";

/**
 * Actors that go away, against a running instance: a `Delete` of an actor
 * by itself, or its document answering 410, removes it as a follower and
 * ends what it left (the rows themselves: src/services/departed-actors.db.test.ts).
 */
describe("actors that go away", () => {
  let instance: TestInstance;
  let peers: KeyedActorServer;
  let elsewhere: KeyedActorServer;
  let groupId: URL;
  let groupInbox: URL;
  let needs = 0;

  beforeAll(async () => {
    instance = await startTestInstance();
    peers = await startKeyedActorServer("127.0.0.7");
    elsewhere = await startKeyedActorServer("127.0.0.8");
    const group = await (
      await instance.api("POST", "/api/v1/groups", { handle: "food", name: "Food" })
    ).json();
    groupId = new URL(group.actorId);
    groupInbox = new URL(`${group.actorId}/inbox`);
  });
  afterAll(async () => {
    await instance?.stop();
    await peers?.close();
    await elsewhere?.close();
  });

  async function followerState(actor: KeyedActor): Promise<string | undefined> {
    const row = await instance.database.db
      .selectFrom("followers")
      .select("state")
      .where("actor_id", "=", actor.id.href)
      .executeTakeFirst();
    return row?.state;
  }

  async function follower(server: KeyedActorServer, name: string): Promise<KeyedActor> {
    const actor = await server.actor(name);
    const follow = {
      "@context": AS,
      id: `${actor.id.href}/follows/${crypto.randomUUID()}`,
      type: "Follow",
      actor: actor.id.href,
      object: groupId.href,
    };
    expect((await actor.post(groupInbox, follow)).status).toBe(202);
    await waitFor(`${name} following`, async () => (await followerState(actor)) === "accepted");
    // Its Accept delivered, so no later delivery reaches it unasked.
    await waitFor(`${name} accepted`, () => actor.received.some((a) => a.type === "Accept"));
    return actor;
  }

  function deleteOf(sender: KeyedActor, object: URL, actor = sender.id) {
    return {
      "@context": AS,
      id: `${sender.id.href}#delete/${crypto.randomUUID()}`,
      type: "Delete",
      actor: actor.href,
      object: object.href,
    };
  }

  /** Publishes a need; returns its object id. */
  async function postNeed(): Promise<string> {
    const response = await instance.api("POST", "/api/v1/groups/food/needs", {
      title: `Water ${++needs}`,
      category: "water",
    });
    expect(response.status).toBe(201);
    return (await response.json()).objectId;
  }

  function creates(actor: KeyedActor, objectId: string): boolean {
    return actor.received.some((activity) => {
      const object = activity.object;
      const id = typeof object === "string" ? object : (object as { id?: unknown } | null)?.id;
      return activity.type === "Create" && id === objectId;
    });
  }

  async function queueDrained(): Promise<void> {
    await waitFor("the queue to drain", async () => {
      const rows = await instance.database.db.selectFrom("fedify_queue").select("id").execute();
      return rows.length === 0;
    });
  }

  it("stops delivering to a follower that sent Delete of itself", async () => {
    const leaving = await follower(peers, "leaving");
    const staying = await follower(peers, "staying");
    const first = await postNeed();
    await waitFor("the first need delivered", () => creates(leaving, first));

    const response = await leaving.post(groupInbox, deleteOf(leaving, leaving.id));
    expect(response.status).toBe(202);
    await waitFor("the follower removed", async () => (await followerState(leaving)) === undefined);
    const received = leaving.received.length;

    const second = await postNeed();
    await waitFor("the second need delivered", () => creates(staying, second));
    await queueDrained();
    expect(leaving.received.length).toBe(received);
    expect(await followerState(staying)).toBe("accepted");
  });

  it("changes nothing on a Delete of an actor that another actor signed", async () => {
    const target = await follower(peers, "target");
    const sameHost = await peers.actor("neighbour");
    const mallory = await elsewhere.actor("mallory");
    // Claiming to be the target, with another server's key: refused at the door.
    const forged = await mallory.post(groupInbox, deleteOf(mallory, target.id, target.id));
    expect(forged.status).toBe(401);
    // Deleting someone else, signed as oneself: accepted, but no actor deletes another.
    expect((await mallory.post(groupInbox, deleteOf(mallory, target.id))).status).toBe(202);
    expect((await sameHost.post(groupInbox, deleteOf(sameHost, target.id))).status).toBe(202);
    await queueDrained();
    expect(await followerState(target)).toBe("accepted");
  });

  it("forgets an actor whose document answers 410 Gone when its key is fetched", async () => {
    const ghost = await follower(peers, "ghost");
    ghost.gone = true;
    // A key the instance has never seen: fetching it reaches the actor's document.
    const unseen = await newRsaKey(new URL(`${ghost.id.href}#key-2`));
    const probe = deleteOf(ghost, new URL(`${ghost.id.href}/notes/1`));
    const response = await ghost.post(groupInbox, probe, {
      key: { id: unseen.id, privateKey: unseen.pair.privateKey },
    });
    expect(response.status).toBe(401);
    await waitFor(
      "the gone actor forgotten",
      async () => (await followerState(ghost)) === undefined,
    );
  });

  it("forgets an actor whose document answers 410 Gone after a delivery", async () => {
    const gone = await follower(peers, "gone");
    // One of our group's follows of it, pending (it never answered).
    const following = await instance.api("POST", "/api/v1/groups/food/following", {
      account: gone.id.href,
    });
    expect(following.status).toBe(202);
    gone.gone = true;
    // The delivery to its inbox is answered 410; its document then says the same.
    await postNeed();
    await waitFor("the gone actor forgotten", async () => {
      const rows = await instance.database.db
        .selectFrom("following")
        .select("id")
        .where("actor_id", "=", gone.id.href)
        .execute();
      return (await followerState(gone)) === undefined && rows.length === 0;
    });
  });
});
