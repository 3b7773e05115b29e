import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testEngine } from "./helpers/database.ts";
import { postForm } from "./helpers/form-post.ts";
import { startTestInstance, type TestInstance } from "./helpers/instance.ts";

/**
 * A collective's settings from its workspace, and the actor `Update` that
 * carries a change to its followers: two real instances on two loopback
 * addresses, each with its own database.
 */
describe(`collective settings (${testEngine})`, () => {
  let a: TestInstance;
  let b: TestInstance;
  let coordinator: string;
  let other: string;
  const path = "/workspace/groups/food/settings";

  const get = async (cookie: string, p: string) => {
    const res = await fetch(new URL(p, a.config.origin), {
      headers: { cookie },
      redirect: "manual",
    });
    return { status: res.status, body: await res.text() };
  };
  const csrfIn = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)![1]!;
  const post = async (cookie: string, fields: Record<string, string>) => {
    const csrf = csrfIn((await get(cookie, "/workspace")).body);
    return postForm(new URL(path, a.config.origin), { _csrf: csrf, ...fields }, { cookie });
  };
  const signIn = async (group: string, username: string) => {
    const invitation = await (await a.api("POST", "/api/v1/admin/invitations", { group })).json();
    const res = await postForm(new URL(invitation.url), {
      username,
      password: "a long passphrase",
      passwordAgain: "a long passphrase",
    });
    expect(res.status).toBe(303);
    return [res.headers["set-cookie"] ?? []]
      .flat()
      .find((c) => c.startsWith("session="))!
      .split(";")[0]!;
  };
  const groupA = async () => (await a.api("GET", "/api/v1/groups/food")).json();
  const actorA = () => `${a.config.origin.origin}/groups/food`;
  /** B's stored copy of A's actor document (Fedify's document cache, in B's database). */
  const storedActorName = async () => {
    const row = await b.database.db
      .selectFrom("fedify_kv")
      .select("value")
      .where("key", "=", JSON.stringify(["_fedify", "remoteDocument", actorA()]))
      .executeTakeFirst();
    return (row?.value as { document?: { name?: string } } | undefined)?.document?.name;
  };
  const valid = {
    name: "Barangay 12 Food",
    summary: "Hot meals every day from 4 pm.",
    followPolicy: "approval",
    timeZone: "Asia/Manila",
  };

  beforeAll(async () => {
    [a, b] = await Promise.all([
      startTestInstance({ host: "127.0.0.1" }),
      startTestInstance({ host: "127.0.0.2" }),
    ]);
    await a.api("POST", "/api/v1/groups", { handle: "food", name: "Food collective" });
    await a.api("POST", "/api/v1/groups", { handle: "other", name: "Other collective" });
    await b.api("POST", "/api/v1/groups", { handle: "relief", name: "Relief B" });
    coordinator = await signIn("food", "maria");
    other = await signIn("other", "jun");
  }, 120_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it("shows the collective's settings to its coordinators only", async () => {
    const page = await get(coordinator, path);
    expect(page.status).toBe(200);
    expect(page.body).toContain("Settings of Food collective");
    expect(page.body).toContain('value="Food collective"');
    expect(page.body).toContain('href="/workspace/groups/food/settings" aria-current="page"');
    expect((await get(other, path)).status).toBe(404);
    const refused = await post(other, valid);
    expect(refused.status).toBe(404);
    expect((await groupA()).name).toBe("Food collective");
  });

  it("says what is wrong next to each field, and changes nothing", async () => {
    const bad = await post(coordinator, {
      name: "   ",
      summary: "x".repeat(2001),
      followPolicy: "everyone",
      timeZone: "Mars/Olympus",
    });
    expect(bad.status).toBe(422);
    expect(bad.body).toContain('id="s-name-error"');
    expect(bad.body).toContain("Give the collective a name.");
    expect(bad.body).toContain('id="s-summary-error"');
    expect(bad.body).toContain('id="s-followPolicy-error"');
    expect(bad.body).toContain('id="s-timeZone-error"');
    expect(bad.body).toContain('value="Mars/Olympus"');
    const es = await postForm(
      new URL(path, a.config.origin),
      {
        _csrf: csrfIn((await get(coordinator, "/workspace")).body),
        ...valid,
        timeZone: "+08:00",
      },
      { cookie: coordinator, "accept-language": "es" },
    );
    expect(es.status).toBe(422);
    expect(es.body).toContain("Esto no es el nombre de una zona horaria");
    expect(await groupA()).toMatchObject({ name: "Food collective", followPolicy: "open" });
  });

  it("saves the settings and sends followers an Update of the actor", {
    timeout: 90_000,
  }, async () => {
    const follow = await b.api("POST", "/api/v1/groups/relief/following", { account: actorA() });
    expect(follow.status).toBe(202);
    const followId = (await follow.json()).id;
    const token = (await (await b.api("POST", "/api/v1/groups/relief/tokens")).json()).token;
    await expect
      .poll(
        async () =>
          (
            await (await b.api("GET", "/api/v1/groups/relief/following", undefined, token)).json()
          ).items.find((f: { id: string }) => f.id === followId)?.state,
        { timeout: 15_000 },
      )
      .toBe("accepted");
    // B read A's actor to follow it: its stored copy has the old name.
    expect(await storedActorName()).toBe("Food collective");

    const saved = await post(coordinator, valid);
    expect(saved.status).toBe(303);
    expect(saved.headers.location).toBe(`${path}?done=saved`);
    expect(await groupA()).toMatchObject({
      name: "Barangay 12 Food",
      summary: "Hot meals every day from 4 pm.",
      followPolicy: "approval",
      timeZone: "Asia/Manila",
    });
    const shown = await get(coordinator, `${path}?done=saved`);
    expect(shown.body).toContain("Saved.");
    expect(shown.body).toContain('value="Asia/Manila"');
    const actor = await (
      await fetch(actorA(), { headers: { accept: "application/activity+json" } })
    ).json();
    expect(actor).toMatchObject({ name: "Barangay 12 Food", manuallyApprovesFollowers: true });

    // The outbox row written with the change was sent and removed.
    expect(await a.database.db.selectFrom("pending_group_updates").selectAll().execute()).toEqual(
      [],
    );
    // The follower's instance received the Update and read the actor again.
    await expect.poll(storedActorName, { timeout: 20_000 }).toBe("Barangay 12 Food");

    // Only the zone changed: the actor did not, and no Update is recorded.
    const zoneOnly = await post(coordinator, { ...valid, timeZone: "Asia/Tokyo" });
    expect(zoneOnly.status).toBe(303);
    expect(await groupA()).toMatchObject({ timeZone: "Asia/Tokyo", name: "Barangay 12 Food" });

    // The API's PATCH is the same use case.
    const foodToken = (await (await a.api("POST", "/api/v1/groups/food/tokens")).json()).token;
    for (const body of [{ name: "  " }, { followPolicy: "anyone" }, { name: "x".repeat(101) }]) {
      const refused = await a.api("PATCH", "/api/v1/groups/food", body, foodToken);
      expect(refused.status).toBe(400);
      expect((await refused.json()).error).toBe("invalid_request");
    }
    expect((await groupA()).name).toBe("Barangay 12 Food");
    const patched = await a.api("PATCH", "/api/v1/groups/food", { name: "Kusina 12" }, foodToken);
    expect(patched.status).toBe(200);
    expect(await patched.json()).toMatchObject({
      name: "Kusina 12",
      followPolicy: "approval",
      timeZone: "Asia/Tokyo",
    });
    // Queued for the followers like the page's change (B reads an actor again at
    // most once per 30 s, so its copy follows a second change only after that).
    expect(await a.database.db.selectFrom("pending_group_updates").selectAll().execute()).toEqual(
      [],
    );
    const served = await (
      await fetch(actorA(), { headers: { accept: "application/activity+json" } })
    ).json();
    expect(served.name).toBe("Kusina 12");
  });
});
