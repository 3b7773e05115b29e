import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, testEngine } from "../../test/helpers/database.ts";
import type { DatabaseHandle } from "../db/connect.ts";
import type { Group } from "../domain/group.ts";
import {
  acceptInvitation,
  createInvitation,
  currentSession,
  listAccounts,
  login,
  setAccountAccess,
  signOutEverywhere,
} from "./accounts.ts";
import { createGroup } from "./groups.ts";

describe(`account administration (${testEngine})`, () => {
  let handle: DatabaseHandle;
  let group: Group;
  const now = Temporal.Instant.from("2026-12-03T09:00:00Z");
  const clock = () => now;
  const deps = () => ({ db: handle.db, clock });
  const password = "a long passphrase";

  const newAccount = async (username: string, forGroup: Group | null) => {
    const invitation = await createInvitation(deps(), forGroup);
    const accepted = await acceptInvitation(deps(), invitation.token, {
      username,
      password,
      passwordAgain: password,
    });
    if (!accepted.ok) throw new Error("account not created");
    const signedIn = await currentSession(deps(), accepted.session.id);
    return { sessionId: accepted.session.id, account: signedIn!.account };
  };

  beforeAll(async () => {
    handle = await createTestDatabase();
    const created = await createGroup(
      { db: handle.db, keys: { generate: async () => [] }, clock },
      { handle: "food", name: "Food", summary: "", followPolicy: "open" },
    );
    if (!created.ok) throw new Error("group not created");
    group = created.group;
  });
  afterAll(async () => {
    await handle.close();
  });

  it("lists accounts with their groups and live sessions, signs one out everywhere, and revokes it", async () => {
    const admin = await newAccount("root", null);
    const coordinator = await newAccount("maria", group);
    const second = await login(deps(), { username: "maria", password }, "addr");
    expect(second.ok).toBe(true);

    const listed = await listAccounts(deps());
    expect(
      listed.map((a) => [a.account.username, a.account.isAdmin, a.groupIds, a.liveSessions]),
    ).toEqual([
      // Made in the same instant: then by username.
      ["maria", false, [group.id], 2],
      ["root", true, [], 1],
    ]);

    expect(await signOutEverywhere(deps(), coordinator.account.id)).toBe(2);
    expect(await currentSession(deps(), coordinator.sessionId)).toBeNull();
    expect(await signOutEverywhere(deps(), "00000000-0000-7000-8000-000000000000")).toBeNull();
    // Signed out, not locked out.
    const again = await login(deps(), { username: "maria", password }, "addr");
    expect(again.ok).toBe(true);

    expect(await setAccountAccess(deps(), admin.account, admin.account.id, "revoke")).toBe("self");
    expect(await currentSession(deps(), admin.sessionId)).not.toBeNull();
    expect(
      await setAccountAccess(
        deps(),
        admin.account,
        "00000000-0000-7000-8000-000000000000",
        "revoke",
      ),
    ).toBe("not-found");

    expect(await setAccountAccess(deps(), admin.account, coordinator.account.id, "revoke")).toBe(
      "revoked",
    );
    if (!again.ok) throw new Error("unreachable");
    expect(await currentSession(deps(), again.session.id)).toBeNull();
    const refused = await login(deps(), { username: "maria", password }, "addr");
    expect(refused).toEqual({ ok: false, reason: "invalid" });
    const revoked = (await listAccounts(deps())).find((a) => a.account.username === "maria")!;
    expect(revoked.revokedAt?.equals(now)).toBe(true);
    expect(revoked.liveSessions).toBe(0);
    // Still a coordinator on record, so restoring gives the same access back.
    expect(revoked.groupIds).toEqual([group.id]);

    expect(await setAccountAccess(deps(), admin.account, coordinator.account.id, "restore")).toBe(
      "restored",
    );
    const restored = await login(deps(), { username: "maria", password }, "addr");
    expect(restored.ok).toBe(true);
    if (!restored.ok) throw new Error("unreachable");
    expect((await currentSession(deps(), restored.session.id))?.groupIds).toEqual([group.id]);
  });
});
