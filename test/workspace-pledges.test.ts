import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postForm } from "./helpers/form-post.ts";
import { startTestInstance, type TestInstance } from "./helpers/instance.ts";
import { waitFor } from "./helpers/wait.ts";

/**
 * The workspace's network feed, pledges and answers across two real
 * instances: B's relief group follows A's food group, B's coordinator
 * pledges from the feed page, A's coordinator accepts on the answers page,
 * and B's "our pledges" page shows it accepted.
 */
describe("pledging and answering from the workspace", () => {
  let a: TestInstance;
  let b: TestInstance;
  let cookieA: string;
  let cookieB: string;
  let need: { id: string; objectId: string };

  const get = async (instance: TestInstance, cookie: string, path: string) => {
    const res = await fetch(new URL(path, instance.config.origin), {
      headers: { cookie },
      redirect: "manual",
    });
    return { status: res.status, body: await res.text() };
  };
  const csrfIn = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)![1]!;
  const signIn = async (instance: TestInstance, group: string, username: string) => {
    const invitation = await (
      await instance.api("POST", "/api/v1/admin/invitations", { group })
    ).json();
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
  const post = (
    instance: TestInstance,
    cookie: string,
    path: string,
    fields: Record<string, string>,
  ) => postForm(new URL(path, instance.config.origin), fields, { cookie });

  beforeAll(async () => {
    [a, b] = await Promise.all([
      startTestInstance({ host: "127.0.0.1" }),
      startTestInstance({ host: "127.0.0.2" }),
    ]);
    await a.api("POST", "/api/v1/groups", { handle: "food", name: "City A Food" });
    await b.api("POST", "/api/v1/groups", { handle: "relief", name: "City B Relief" });
    const tokenB = (await (await b.api("POST", "/api/v1/groups/relief/tokens")).json()).token;
    const follow = await (
      await b.api(
        "POST",
        "/api/v1/groups/relief/following",
        { account: `${a.config.origin.origin}/groups/food` },
        tokenB,
      )
    ).json();
    await waitFor("B's follow accepted", async () => {
      const list = (
        await (await b.api("GET", "/api/v1/groups/relief/following", undefined, tokenB)).json()
      ).items as { id: string; state: string }[];
      return list.find((f) => f.id === follow.id)?.state === "accepted";
    });
    need = await (
      await a.api("POST", "/api/v1/groups/food/needs", {
        title: "Insulin coolers",
        category: "medication",
        quantity: { amount: 20, unit: "one" },
      })
    ).json();
    cookieA = await signIn(a, "food", "ana");
    cookieB = await signIn(b, "relief", "ben");
    await waitFor("the need on B's feed page", async () =>
      (await get(b, cookieB, "/workspace/groups/relief/network")).body.includes("Insulin coolers"),
    );
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
  });

  it("lists the allied need with what is still needed, and refuses too much, keeping the input", async () => {
    const feed = await get(b, cookieB, "/workspace/groups/relief/network");
    expect(feed.body).toContain("20 still needed");
    expect(feed.body).not.toContain('name="allowExcess"');
    const csrf = csrfIn(feed.body);

    const tooMuch = await post(b, cookieB, "/workspace/groups/relief/pledges", {
      _csrf: csrf,
      objectId: need.objectId,
      quantity: "25",
      message: "All <b>we</b> have",
    });
    expect(tooMuch.status).toBe(422);
    expect(tooMuch.body).toContain("Only 20 is still needed");
    expect(tooMuch.body).toContain('value="25"');
    expect(tooMuch.body).toContain("All &lt;b&gt;we&lt;/b&gt; have");
    expect(tooMuch.body).toContain('name="allowExcess"');

    const notANumber = await post(b, cookieB, "/workspace/groups/relief/pledges", {
      _csrf: csrf,
      objectId: need.objectId,
      quantity: "many",
    });
    expect(notANumber.status).toBe(422);
    expect(notANumber.body).toContain("Write a number, for example 5 or 2.5.");

    const unknown = await post(b, cookieB, "/workspace/groups/relief/pledges", {
      _csrf: csrf,
      objectId: "https://nowhere.example/objects/1",
      quantity: "1",
    });
    expect(unknown.status).toBe(404);
    const stored = await b.database.db.selectFrom("pledges").selectAll().execute();
    expect(stored).toEqual([]);
  });

  it("pledges, A accepts on the answers page, and B sees it accepted", async () => {
    const feed = await get(b, cookieB, "/workspace/groups/relief/network");
    const sent = await post(b, cookieB, "/workspace/groups/relief/pledges", {
      _csrf: csrfIn(feed.body),
      objectId: need.objectId,
      quantity: "8",
      message: "Eight coolers from our depot",
    });
    expect(sent.status).toBe(303);
    expect(sent.headers.location).toBe("/workspace/groups/relief/pledges?done=sent");
    const ours = await get(b, cookieB, "/workspace/groups/relief/pledges?done=sent");
    expect(ours.body).toContain("Pledge sent.");
    expect(ours.body).toContain("Insulin coolers");
    expect(ours.body).toContain('data-state="pending"');

    // On A: a notification, then the answer as an agreement from B's group.
    await waitFor("the notification on A", async () =>
      (await get(a, cookieA, "/workspace/groups/food/notifications")).body.includes("New answer"),
    );
    const answers = await get(a, cookieA, `/workspace/groups/food/posts/${need.id}/responses`);
    expect(answers.body).toContain("Agreement from another collective");
    expect(answers.body).toContain("Eight coolers from our depot");
    // An agreement counts with its own quantity: no field for it.
    expect(answers.body).not.toContain('name="quantity"');
    const responseId = /\/responses\/([0-9a-f-]{36})\/accept/.exec(answers.body)![1]!;
    const accepted = await post(
      a,
      cookieA,
      `/workspace/groups/food/responses/${responseId}/accept`,
      {
        _csrf: csrfIn(answers.body),
      },
    );
    expect(accepted.status).toBe(303);
    const after = await get(a, cookieA, accepted.headers.location as string);
    expect(after.body).toContain("8 pledged, 12 still needed");

    // Accepting twice is refused and changes nothing.
    const twice = await post(a, cookieA, `/workspace/groups/food/responses/${responseId}/accept`, {
      _csrf: csrfIn(answers.body),
    });
    expect(twice.status).toBe(409);
    expect(twice.body).toContain("This answer was already handled.");
    expect((await (await a.api("GET", `/api/v1/needs/${need.id}`)).json()).quantity).toMatchObject({
      pledged: 8,
      remaining: 12,
    });

    await waitFor("B's pledge accepted", async () =>
      (await get(b, cookieB, "/workspace/groups/relief/pledges")).body.includes(
        'data-state="accepted"',
      ),
    );
    await waitFor("B's feed updated", async () =>
      (await get(b, cookieB, "/workspace/groups/relief/network")).body.includes("12 still needed"),
    );
  });

  it("withdraws the accepted pledge after a confirmation step; A's need gives the amount back", async () => {
    const ours = await get(b, cookieB, "/workspace/groups/relief/pledges");
    const link = /href="(\/workspace\/groups\/relief\/pledges\/[0-9a-f-]{36}\/withdraw)"/.exec(
      ours.body,
    )![1]!;
    const step = await get(b, cookieB, link);
    expect(step.status).toBe(200);
    expect(step.body).toContain("Withdraw your pledge to “Insulin coolers”?");
    // Not ticked: the step again, with what is missing, and nothing sent.
    const unticked = await post(b, cookieB, link, { _csrf: csrfIn(step.body) });
    expect(unticked.status).toBe(422);
    expect(unticked.body).toContain("Tick the box to confirm.");
    expect((await get(b, cookieB, "/workspace/groups/relief/pledges")).body).toContain(
      'data-state="accepted"',
    );
    const done = await post(b, cookieB, link, { _csrf: csrfIn(step.body), confirm: "1" });
    expect(done.status).toBe(303);
    expect(done.headers.location).toBe("/workspace/groups/relief/pledges?done=withdrawn");
    const after = await get(b, cookieB, done.headers.location as string);
    expect(after.body).toContain("Pledge withdrawn.");
    expect(after.body).toContain('data-state="withdrawn"');
    expect(after.body).not.toContain("/withdraw");
    await waitFor("A's need given back", async () => {
      const quantity = (await (await a.api("GET", `/api/v1/needs/${need.id}`)).json()).quantity;
      return quantity.pledged === 0 && quantity.remaining === 20;
    });
    await waitFor("B's feed updated", async () =>
      (await get(b, cookieB, "/workspace/groups/relief/network")).body.includes("20 still needed"),
    );
    // Withdrawn is over: the form sent again is refused.
    const again = await post(b, cookieB, link, { _csrf: csrfIn(step.body), confirm: "1" });
    expect(again.status).toBe(409);
    expect(again.body).toContain("This pledge was declined or withdrawn already.");
  });

  it("shows a need's matches, best first, with why and how far, never a private contact", async () => {
    await a.api("POST", "/api/v1/groups", { handle: "north", name: "North depot" });
    const rice = await (
      await a.api("POST", "/api/v1/groups/food/needs", {
        title: "Rice for 40 families",
        category: "food",
        quantity: { amount: 40, unit: "kilogram" },
        location: { name: "Tondo hall", latitude: 14.59951, longitude: 120.98423 },
      })
    ).json();
    for (const offer of [
      {
        title: "Rice, no place given",
        category: "food",
        quantity: { amount: 100, unit: "kilogram" },
      },
      {
        title: "Rice at the Binondo depot",
        category: "food",
        quantity: { amount: 50, unit: "kilogram" },
        location: { name: "Binondo depot", latitude: 14.61234, longitude: 121.00567 },
        contact: "Depot phone 0917 111 2222",
      },
    ]) {
      expect((await a.api("POST", "/api/v1/groups/north/offers", offer)).status).toBe(201);
    }
    const page = await get(a, cookieA, `/workspace/groups/food/posts/${rice.id}/responses`);
    const section = page.body.slice(page.body.indexOf('id="matches"'));
    const near = section.indexOf("Rice at the Binondo depot");
    const unlocated = section.indexOf("Rice, no place given");
    expect(near).toBeGreaterThan(0);
    expect(unlocated).toBeGreaterThan(near);
    expect(section).toContain(
      "Same category (Food); 3.4 km away; 50 kg available covers the 40 kg needed. · 3.4 km away",
    );
    expect(page.body).not.toContain("0917 111 2222");
  });

  it("declines an answer with a reason, and says what is wrong in the coordinator's language", async () => {
    const water = await (
      await a.api("POST", "/api/v1/groups/food/needs", {
        title: "Drinking water",
        category: "water",
        quantity: { amount: 100, unit: "litre" },
      })
    ).json();
    for (const content of ["I can bring 10 litres", "Tengo 30 litros"]) {
      const res = await a.api("POST", `/api/v1/needs/${water.id}/responses`, { content }, null);
      expect(res.status).toBe(201);
    }
    const path = `/workspace/groups/food/posts/${water.id}/responses`;
    const page = await get(a, cookieA, path);
    const ids = [...page.body.matchAll(/\/responses\/([0-9a-f-]{36})\/reject/g)].map((m) => m[1]!);
    expect(ids).toHaveLength(2);

    const declined = await post(a, cookieA, `/workspace/groups/food/responses/${ids[0]}/reject`, {
      _csrf: csrfIn(page.body),
      reason: "We found <water> nearby",
    });
    expect(declined.status).toBe(303);
    const after = await get(a, cookieA, `${path}?done=rejected`);
    expect(after.body).toContain("Declined.");
    expect(after.body).toContain('data-state="rejected"');
    expect(after.body).toContain("We found &lt;water&gt; nearby");
    const again = await post(a, cookieA, `/workspace/groups/food/responses/${ids[0]}/reject`, {
      _csrf: csrfIn(page.body),
    });
    expect(again.status).toBe(409);

    // In Spanish: the refusal is next to the field, in Spanish, with the input kept.
    const es = `${cookieA}; lang=es`;
    const wrong = await post(a, es, `/workspace/groups/food/responses/${ids[1]}/accept`, {
      _csrf: csrfIn(page.body),
      quantity: "mucho",
    });
    expect(wrong.status).toBe(422);
    expect(wrong.body).toContain('lang="es"');
    expect(wrong.body).toContain(`id="q-${ids[1]}-error"`);
    expect(wrong.body).toContain("Escribe un número, por ejemplo 5 o 2.5.");
    expect(wrong.body).toContain('value="mucho"');
    const fraction = await post(a, es, `/workspace/groups/food/responses/${ids[1]}/accept`, {
      _csrf: csrfIn(page.body),
      quantity: "2,5",
    });
    expect(fraction.status).toBe(422);
    expect(fraction.body).toContain("Escribe un múltiplo de 1.");
    const rows = await a.database.db
      .selectFrom("responses")
      .select(["state"])
      .where("id", "=", ids[1]!)
      .execute();
    expect(rows).toEqual([{ state: "proposed" }]);
    expect((await (await a.api("GET", `/api/v1/needs/${water.id}`)).json()).quantity).toMatchObject(
      {
        pledged: 0,
      },
    );
  });

  it("keeps another group's coordinator out", async () => {
    const res = await get(a, cookieA, "/workspace/groups/food/network");
    expect(res.status).toBe(200);
    const foreign = await get(b, cookieA, "/workspace/groups/relief/pledges");
    expect(foreign.status).toBe(303);
    const declined = await post(b, cookieB, "/workspace/groups/relief/notifications/read", {
      _csrf: "wrong",
      upTo: "00000000-0000-7000-8000-000000000000",
    });
    expect(declined.status).toBe(403);
  });
});
