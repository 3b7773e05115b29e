import type { OpenAPIHono as Hono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { listFollowers } from "../../db/followers.repo.ts";
import { listFollowing } from "../../db/following.repo.ts";
import type { Group } from "../../domain/group.ts";
import { isId } from "../../domain/ids.ts";
import { parseAccountAddress } from "../../domain/remote-follow.ts";
import {
  answerFollowRequest,
  followRemoteGroup,
  unfollowRemoteGroup,
} from "../../services/follows.ts";
import { pageContext } from "../context.ts";
import type { WebDeps } from "../deps.ts";
import { FollowersPage, FollowingPage, type FollowProblem } from "../pages/follows.ts";
import {
  doneNotice,
  formField,
  formGuards,
  groupCoordinators,
  messagePage,
  notFoundPage,
  workspaceHtml,
} from "./shared.ts";

/** Whether the box holds something a follow can be looked up by: `user@host` or a web address. */
function looksFollowable(account: string): boolean {
  if (parseAccountAddress(account) !== null) return true;
  if (!URL.canParse(account)) return false;
  const url = new URL(account);
  return url.protocol === "https:" || url.protocol === "http:";
}

const FOLLOW_STATUS = { format: 422, self: 422, "not-found": 404, refused: 403 } as const;

/**
 * Following allied groups and answering who wants to follow ours: the
 * services the API's follow routes call, with form fields in and messages
 * next to the field out. (Re-sharing is on the network feed: routes/pledges.ts.)
 */
export function registerFollowPages(app: Hono, deps: WebDeps): void {
  const { db, urls } = deps;
  const guards = formGuards(urls);
  const coordinators = groupCoordinators(deps);

  const renderFollowing = async (
    c: Context,
    group: Group,
    extra: { notice?: string; problem?: FollowProblem; input?: string } = {},
    status: 200 | 403 | 404 | 422 = 200,
  ) => {
    const following = await listFollowing(db, group.id);
    return workspaceHtml(c, urls, FollowingPage, { group, following, ...extra }, status);
  };

  app.get("/workspace/groups/:handle/following", ...coordinators, async (c) => {
    const { t } = pageContext(c, urls);
    const notice = doneNotice(c, { sent: t.followSent, unfollowed: t.unfollowed });
    return renderFollowing(c, c.get("group"), { notice });
  });

  app.post("/workspace/groups/:handle/following", ...guards, ...coordinators, async (c) => {
    const group = c.get("group");
    const input = formField(await c.req.parseBody(), "account")
      .trim()
      .slice(0, 500);
    if (!looksFollowable(input)) {
      return renderFollowing(c, group, { problem: "format", input }, 422);
    }
    const result = await followRemoteGroup(deps, group, input);
    if (!result.ok) {
      return renderFollowing(
        c,
        group,
        { problem: result.error, input },
        FOLLOW_STATUS[result.error],
      );
    }
    return c.redirect(`/workspace/groups/${group.handle}/following?done=sent`, 303);
  });

  app.post(
    "/workspace/groups/:handle/following/:id/unfollow",
    ...guards,
    ...coordinators,
    async (c) => {
      const group = c.get("group");
      const id = c.req.param("id");
      if (!isId(id) || !(await unfollowRemoteGroup(deps, group, id))) return notFoundPage(c, urls);
      return c.redirect(`/workspace/groups/${group.handle}/following?done=unfollowed`, 303);
    },
  );

  app.get("/workspace/groups/:handle/followers", ...coordinators, async (c) => {
    const group = c.get("group");
    const { t } = pageContext(c, urls);
    const [followers, requests] = await Promise.all([
      listFollowers(db, group.id, "accepted"),
      listFollowers(db, group.id, "pending"),
    ]);
    const notice = doneNotice(c, { accepted: t.requestAccepted, rejected: t.requestRejected });
    return workspaceHtml(c, urls, FollowersPage, { group, followers, requests, notice });
  });

  for (const action of ["accept", "reject"] as const) {
    app.post(
      `/workspace/groups/:handle/follow-requests/:id/${action}`,
      ...guards,
      ...coordinators,
      async (c) => {
        const group = c.get("group");
        const id = c.req.param("id") ?? "";
        if (!isId(id)) return notFoundPage(c, urls);
        const answer = await answerFollowRequest(deps, group, id, action === "accept");
        if (answer === "not-found") {
          const { t } = pageContext(c, urls);
          return messagePage(c, urls, t.followRequests, t.requestGone, 409);
        }
        return c.redirect(`/workspace/groups/${group.handle}/followers?done=${answer}`, 303);
      },
    );
  }
}
