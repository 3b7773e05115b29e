import type { OpenAPIHono as Hono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { findPledge, listPledges } from "../../db/pledges.repo.ts";
import { findRemoteProposal, listNetwork } from "../../db/remote-proposals.repo.ts";
import { listSharedObjectIds } from "../../db/shares.repo.ts";
import type { Group } from "../../domain/group.ts";
import { shareRemoteObject } from "../../services/follows.ts";
import { pledgeToRemoteProposal, withdrawPledgeAsCoordinator } from "../../services/pledges.ts";
import { pageContext } from "../context.ts";
import type { WebDeps } from "../deps.ts";
import {
  NetworkPage,
  type PledgeProblem,
  PledgesPage,
  WithdrawPledgePage,
} from "../pages/network.ts";
import { PageNav } from "../pages/page-nav.ts";
import {
  beforeIdOf,
  decodeTimeCursor,
  encodeTimeCursor,
  splitPage,
  WORKSPACE_PAGE_SIZE,
} from "../paging.ts";
import {
  doneNotice,
  formField,
  formGuards,
  groupCoordinators,
  messagePage,
  notFoundPage,
  workspaceHtml,
} from "./shared.ts";

/**
 * Allied groups' needs and offers, pledging to them and re-sharing them with
 * our followers, and what became of our pledges.
 */
export function registerPledgePages(app: Hono, deps: WebDeps): void {
  const { db, urls } = deps;
  const guards = formGuards(urls);
  const coordinators = groupCoordinators(deps);

  const renderNetwork = async (
    c: Context,
    group: Group,
    problem?: PledgeProblem,
    status: 200 | 409 | 422 = 200,
    notice?: string,
    after?: { publishedAt: Temporal.Instant; id: string },
  ) => {
    const page = pageContext(c, urls);
    const { items, more } = splitPage(
      await listNetwork(db, {
        groupId: group.id,
        kind: "proposal",
        limit: WORKSPACE_PAGE_SIZE + 1,
        after,
      }),
      WORKSPACE_PAGE_SIZE,
    );
    const last = items.at(-1);
    const pager = PageNav({
      page,
      path: `/workspace/groups/${group.handle}/network`,
      older:
        more && last !== undefined
          ? { name: "after", value: encodeTimeCursor(last.publishedAt, last.id) }
          : null,
      onFirstPage: after === undefined,
    });
    const shared = await listSharedObjectIds(
      db,
      group.id,
      items.map((i) => i.objectId),
    );
    return workspaceHtml(
      c,
      urls,
      NetworkPage,
      { group, items, shared, problem, notice, pager },
      status,
    );
  };

  app.get("/workspace/groups/:handle/network", ...coordinators, async (c) => {
    const { t } = pageContext(c, urls);
    const after = decodeTimeCursor(c.req.query("after"));
    if (after === null) return notFoundPage(c, urls);
    const notice = doneNotice(c, { shared: t.shareDone });
    return renderNetwork(c, c.get("group"), undefined, 200, notice, after);
  });

  app.post("/workspace/groups/:handle/shares", ...guards, ...coordinators, async (c) => {
    const group = c.get("group");
    const objectId = formField(await c.req.parseBody(), "objectId").slice(0, 2000);
    if (!URL.canParse(objectId)) return notFoundPage(c, urls);
    const result = await shareRemoteObject(deps, group, objectId);
    if (result.ok) return c.redirect(`/workspace/groups/${group.handle}/network?done=shared`, 303);
    const { t } = pageContext(c, urls);
    if (result.error === "refused") {
      return messagePage(c, urls, t.shareButton, t.followProblems.refused, 403);
    }
    if (result.error === "unknown-object") return notFoundPage(c, urls);
    return renderNetwork(c, group, undefined, 409, t.alreadyShared);
  });

  app.get("/workspace/groups/:handle/pledges", ...coordinators, async (c) => {
    const group = c.get("group");
    const before = beforeIdOf(c.req.query("before"));
    if (before === null) return notFoundPage(c, urls);
    const page = pageContext(c, urls);
    const { items: pledges, more } = splitPage(
      await listPledges(db, group.id, WORKSPACE_PAGE_SIZE + 1, before),
      WORKSPACE_PAGE_SIZE,
    );
    const last = pledges.at(-1);
    const pager = PageNav({
      page,
      path: `/workspace/groups/${group.handle}/pledges`,
      older: more && last !== undefined ? { name: "before", value: last.id } : null,
      onFirstPage: before === undefined,
    });
    const titles = new Map<string, string>();
    for (const objectId of new Set(pledges.map((p) => p.objectId))) {
      const target = await findRemoteProposal(db, objectId);
      if (target !== null) titles.set(objectId, target.title);
    }
    const notice = doneNotice(c, { sent: page.t.pledgeSent, withdrawn: page.t.pledgeWithdrawn });
    return workspaceHtml(c, urls, PledgesPage, { group, pledges, titles, notice, pager });
  });

  app.post("/workspace/groups/:handle/pledges", ...guards, ...coordinators, async (c) => {
    const group = c.get("group");
    const form = await c.req.parseBody();
    const objectId = formField(form, "objectId");
    const target = objectId === "" ? null : await findRemoteProposal(db, objectId);
    if (target === null || !(await deps.isAllowed(new URL(target.originActorId)))) {
      return notFoundPage(c, urls);
    }
    const typed = formField(form, "quantity").trim();
    const message = formField(form, "message").trim().slice(0, 5000);
    const result = await pledgeToRemoteProposal(
      { ...deps, offerIdOf: (id) => urls.pledgeOffer(id) },
      group,
      target,
      {
        // In the need's own unit; people write "2,5" as often as "2.5".
        quantity:
          typed === ""
            ? null
            : { amount: typed.replace(",", "."), unit: target.quantity?.unit ?? "one" },
        message,
        allowExcess: formField(form, "allowExcess") === "1",
      },
    );
    if (result.ok) return c.redirect(`/workspace/groups/${group.handle}/pledges?done=sent`, 303);
    const { error } = result;
    const problem = error.type === "quantity" ? error.problem : "not-open";
    return renderNetwork(
      c,
      group,
      { objectId, problem, quantity: typed, message },
      error.type === "quantity" ? 422 : 409,
    );
  });

  /** One of this group's pledges, from the path; null for another group's or none. */
  const ownPledge = async (c: Context) => {
    const pledge = await findPledge(db, c.req.param("id") ?? "");
    return pledge === null || pledge.groupId !== c.get("group").id ? null : pledge;
  };

  const renderWithdraw = async (
    c: Context,
    pledge: NonNullable<Awaited<ReturnType<typeof ownPledge>>>,
    notConfirmed: boolean,
  ) => {
    const target = await findRemoteProposal(db, pledge.objectId);
    return workspaceHtml(
      c,
      urls,
      WithdrawPledgePage,
      { group: c.get("group"), pledge, title: target?.title ?? pledge.objectId, notConfirmed },
      notConfirmed ? 422 : 200,
    );
  };

  app.get("/workspace/groups/:handle/pledges/:id/withdraw", ...coordinators, async (c) => {
    const pledge = await ownPledge(c);
    if (pledge === null) return notFoundPage(c, urls);
    return renderWithdraw(c, pledge, false);
  });

  app.post(
    "/workspace/groups/:handle/pledges/:id/withdraw",
    ...guards,
    ...coordinators,
    async (c) => {
      const pledge = await ownPledge(c);
      if (pledge === null) return notFoundPage(c, urls);
      if (formField(await c.req.parseBody(), "confirm") !== "1") {
        return renderWithdraw(c, pledge, true);
      }
      // The same use case as the API's withdraw: Undo(Offer) through the outbox.
      const result = await withdrawPledgeAsCoordinator(deps, pledge);
      const group = c.get("group");
      if (result.ok) {
        return c.redirect(`/workspace/groups/${group.handle}/pledges?done=withdrawn`, 303);
      }
      const { t } = pageContext(c, urls);
      return messagePage(c, urls, t.pledgeWithdrawButton, t.pledgeWithdrawEnded, 409);
    },
  );
}
