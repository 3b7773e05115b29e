import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testEngine } from "./helpers/database.ts";
import { postForm } from "./helpers/form-post.ts";
import { startTestInstance, type TestInstance } from "./helpers/instance.ts";
import { signInByInvitation } from "./helpers/sign-in.ts";

/**
 * Actions that cannot be undone go through a step with a box to tick: a
 * POST without it changes nothing and shows the step (again, with a message
 * when it came from the step).
 */
describe(`confirmation steps (${testEngine})`, () => {
  let instance: TestInstance;
  let admin: string;
  let coordinator: string;
  const origin = () => instance.config.origin;

  const get = async (cookie: string, path: string) => {
    const res = await fetch(new URL(path, origin()), { headers: { cookie }, redirect: "manual" });
    return { status: res.status, body: await res.text() };
  };
  const csrfIn = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)![1]!;
  const post = async (cookie: string, path: string, fields: Record<string, string>) => {
    const csrf = csrfIn((await get(cookie, "/workspace")).body);
    return postForm(new URL(path, origin()), { _csrf: csrf, ...fields }, { cookie });
  };
  const signIn = (body: object, username: string) => signInByInvitation(instance, body, username);
  const ask = async (title: string) => {
    const res = await postForm(
      new URL("/groups/food/ask", origin()),
      { title, category: "food", contact: "Ana, 0917", urgency: "normal", quantityUnit: "one" },
      { origin: origin().origin },
    );
    expect(res.status).toBe(303);
    const token = /\/requests\/([A-Za-z0-9_-]{43})/.exec(String(res.headers.location))![1]!;
    const row = await instance.database.db
      .selectFrom("intake_requests")
      .select("id")
      .where("title", "=", title)
      .executeTakeFirstOrThrow();
    return { token, id: row.id };
  };
  const intakeState = async (id: string) =>
    (
      await instance.database.db
        .selectFrom("intake_requests")
        .select("state")
        .where("id", "=", id)
        .executeTakeFirstOrThrow()
    ).state;
  const needStatus = async (id: string) =>
    (
      await instance.database.db
        .selectFrom("proposals")
        .select("status")
        .where("id", "=", id)
        .executeTakeFirstOrThrow()
    ).status;

  beforeAll(async () => {
    instance = await startTestInstance();
    await instance.api("POST", "/api/v1/groups", { handle: "food", name: "Food collective" });
    admin = await signIn({ admin: true }, "root");
    coordinator = await signIn({ group: "food" }, "maria");
  });
  afterAll(async () => {
    await instance?.stop();
  });

  it("declines a request only once the box is ticked", async () => {
    const { id, token } = await ask("Rice for 4 families");
    const action = `/workspace/groups/food/triage/${id}/decline`;
    const reason = { reason: "cannot-provide" };
    const step = await post(coordinator, action, reason);
    expect(step.status).toBe(200);
    expect(step.body).toContain("Decline “Rice for 4 families”?");
    expect(step.body).toContain('name="confirming" value="1"');
    expect(step.body).not.toContain('class="error"');
    expect(await intakeState(id)).toBe("new");

    const unticked = await post(coordinator, action, { ...reason, confirming: "1" });
    expect(unticked.status).toBe(422);
    expect(unticked.body).toContain('id="decline-confirm-error"');
    expect(unticked.body).toContain("Tick the box to confirm.");
    expect(await intakeState(id)).toBe("new");

    const done = await post(coordinator, action, { ...reason, confirming: "1", confirm: "1" });
    expect(done.status).toBe(303);
    expect(done.headers.location).toBe("/workspace/groups/food/triage?done=declined");
    expect(await intakeState(id)).toBe("declined");
    const status = await get("", `/requests/${token}`);
    expect(status.body).toContain('data-state="declined"');
    // A declined request cannot be withdrawn: said at once, without a step.
    const late = await postForm(
      new URL(`/requests/${token}/withdraw`, origin()),
      {},
      { origin: origin().origin },
    );
    expect(late.status).toBe(409);
    expect(late.body).toContain("can no longer be withdrawn");
  });

  it("carries the decline form's other fields through the step", async () => {
    const { id } = await ask("Blankets");
    const step = await post(coordinator, `/workspace/groups/food/triage/${id}/decline`, {
      reason: "outside-area",
      note: "Try the parish kitchen",
    });
    expect(step.status).toBe(200);
    expect(step.body).toContain('name="reason" value="outside-area"');
    expect(step.body).toContain('name="note" value="Try the parish kitchen"');
    // The session's token once in the step's form (and once in the sign-out form), not carried twice.
    expect(step.body.match(/name="_csrf"/g)).toHaveLength(2);
    expect(await intakeState(id)).toBe("new");
  });

  it("lets a person withdraw only once the box is ticked", async () => {
    const { id, token } = await ask("Water for the evacuation centre");
    const action = new URL(`/requests/${token}/withdraw`, origin());
    const send = (fields: Record<string, string>) =>
      postForm(action, fields, { origin: origin().origin });
    const step = await send({});
    expect(step.status).toBe(200);
    expect(step.headers["cache-control"]).toBe("no-store");
    expect(step.body).toContain("Withdraw “Water for the evacuation centre”?");
    expect(step.body).toContain(`href="/requests/${token}"`);
    expect(await intakeState(id)).toBe("new");

    const unticked = await send({ confirming: "1" });
    expect(unticked.status).toBe(422);
    expect(unticked.body).toContain("Tick the box to confirm.");
    expect(await intakeState(id)).toBe("new");

    const es = await postForm(
      action,
      { confirming: "1" },
      {
        origin: origin().origin,
        "accept-language": "es",
      },
    );
    expect(es.body).toContain("Marca la casilla para confirmar.");

    const done = await send({ confirm: "1" });
    expect(done.status).toBe(303);
    expect(await intakeState(id)).toBe("withdrawn");
    // Once it is withdrawn there is nothing to confirm.
    const twice = await send({});
    expect(twice.status).toBe(303);
    expect(twice.headers.location).toBe(`/requests/${token}`);
    expect(await intakeState(id)).toBe("withdrawn");
  });

  it("marks a need fulfilled or closes it only once the box is ticked", async () => {
    const token = await (await instance.api("POST", "/api/v1/groups/food/tokens", {})).json();
    const need = async (title: string) => {
      const res = await instance.api(
        "POST",
        "/api/v1/groups/food/needs",
        { title, category: "water" },
        token.token,
      );
      expect(res.status).toBe(201);
      return (await res.json()).id as string;
    };
    const base = "/workspace/groups/food/posts";
    for (const [status, heading, button] of [
      ["fulfilled", "Mark “Jerrycans” fulfilled?", "Mark fulfilled"],
      ["closed", "Close “Jerrycans”?", "Close"],
    ] as const) {
      const id = await need("Jerrycans");
      const action = `${base}/${id}/status`;
      const step = await post(coordinator, action, { status });
      expect(step.status).toBe(200);
      expect(step.body).toContain(heading);
      expect(step.body).toContain(`name="status" value="${status}"`);
      expect(step.body).toContain(`>${button}</button>`);
      expect(await needStatus(id)).toBe("open");
      const unticked = await post(coordinator, action, { status, confirming: "1" });
      expect(unticked.status).toBe(422);
      expect(unticked.body).toContain('id="status-confirm-error"');
      expect(await needStatus(id)).toBe("open");
      const done = await post(coordinator, action, { status, confirm: "1" });
      expect(done.headers.location).toBe(`${base}?done=changed`);
      expect(await needStatus(id)).toBe(status);
    }
    // Pledged can still move on, so it needs no step.
    const id = await need("Buckets");
    const pledged = await post(coordinator, `${base}/${id}/status`, { status: "pledged" });
    expect(pledged.headers.location).toBe(`${base}?done=changed`);
    expect(await needStatus(id)).toBe("pledged");
  });

  it("says what a block deletes, and blocks only once the box is ticked", async () => {
    const action = "/workspace/admin/federation/domains";
    const domains = async () =>
      (await (await instance.api("GET", "/api/v1/admin/federation/domains")).json()).items;
    const step = await post(admin, action, { domain: "Spam.Example", policy: "block" });
    expect(step.status).toBe(200);
    expect(step.body).toContain("Block spam.example?");
    expect(step.body).toContain("its followers of our collectives");
    expect(step.body).toContain('name="domain" value="Spam.Example"');
    expect(await domains()).toEqual([]);
    const unticked = await post(admin, action, {
      domain: "Spam.Example",
      policy: "block",
      confirming: "1",
    });
    expect(unticked.status).toBe(422);
    expect(unticked.body).toContain('id="block-confirm-error"');
    expect(await domains()).toEqual([]);
    // A domain that is refused anyway gets its message, not the step.
    const invalid = await post(admin, action, { domain: "not a domain!", policy: "block" });
    expect(invalid.status).toBe(422);
    expect(invalid.body).toContain("This is not a server name");
    const done = await post(admin, action, {
      domain: "Spam.Example",
      policy: "block",
      confirm: "1",
    });
    expect(done.status).toBe(200);
    expect(done.body).toContain("Blocked.");
    expect(await domains()).toEqual([
      expect.objectContaining({ domain: "spam.example", policy: "block" }),
    ]);
    // An allow rule deletes nothing: no step.
    const allowed = await post(admin, action, { domain: "friends.example", policy: "allow" });
    expect(allowed.status).toBe(200);
    expect(await domains()).toHaveLength(2);
    await post(admin, `${action}/remove`, { domain: "friends.example" });
  });

  it("warns before allowlist mode with no server allowed", async () => {
    const action = "/workspace/admin/federation/mode";
    const mode = async () =>
      (await (await instance.api("GET", "/api/v1/admin/federation")).json()).mode;
    const step = await post(admin, action, { mode: "allowlist" });
    expect(step.status).toBe(200);
    expect(step.body).toContain("Allowlist mode with no server allowed?");
    expect(await mode()).toBe("open");
    const unticked = await post(admin, action, { mode: "allowlist", confirming: "1" });
    expect(unticked.status).toBe(422);
    expect(unticked.body).toContain('id="allowlist-confirm-error"');
    expect(await mode()).toBe("open");
    const done = await post(admin, action, { mode: "allowlist", confirm: "1" });
    expect(done.headers.location).toBe("/workspace/admin/federation?done=saved");
    expect(await mode()).toBe("allowlist");
    await post(admin, action, { mode: "open" });
    expect(await mode()).toBe("open");
    // With a server allowed, the switch needs no warning.
    await post(admin, "/workspace/admin/federation/domains", {
      domain: "friends.example",
      policy: "allow",
    });
    const direct = await post(admin, action, { mode: "allowlist" });
    expect(direct.headers.location).toBe("/workspace/admin/federation?done=saved");
    expect(await mode()).toBe("allowlist");
  });
});
