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
import { renderDocument } from "../layout.ts";
import { FollowersPage, FollowingPage, type FollowProblem } from "../pages/follows.ts";
import { requireSignIn } from "../session.ts";
import { coordinatedGroup, formField, formGuards, messagePage } from "./shared.ts";

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
  const signedIn = requireSignIn(deps);
  const notFound = (c: Context) => {
    const { t } = pageContext(c, urls);
    return messagePage(c, urls, t.notFound, t.notFoundText, 404);
  };

  const renderFollowing = async (
    c: Context,
    group: Group,
    extra: { notice?: string; problem?: FollowProblem; input?: string } = {},
    status: 200 | 403 | 404 | 422 = 200,
  ) => {
    const { account, csrfToken } = c.get("signedIn");
    const following = await listFollowing(db, group.id);
    return c.html(
      renderDocument(
        FollowingPage({
          page: pageContext(c, urls),
          account,
          csrf: csrfToken,
          group,
          following,
          ...extra,
        }),
      ),
      status,
    );
  };

  app.get("/workspace/groups/:handle/following", signedIn, async (c) => {
    const group = await coordinatedGroup(db, c);
    if (group === null) return notFound(c);
    const { t } = pageContext(c, urls);
    const done = c.req.query("done");
    const notice =
      done === "sent" ? t.followSent : done === "unfollowed" ? t.unfollowed : undefined;
    return renderFollowing(c, group, notice === undefined ? {} : { notice });
  });

  app.post("/workspace/groups/:handle/following", ...guards, signedIn, async (c) => {
    const group = await coordinatedGroup(db, c);
    if (group === null) return notFound(c);
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

  app.post("/workspace/groups/:handle/following/:id/unfollow", ...guards, signedIn, async (c) => {
    const group = await coordinatedGroup(db, c);
    const id = c.req.param("id");
    if (group === null || !isId(id) || !(await unfollowRemoteGroup(deps, group, id))) {
      return notFound(c);
    }
    return c.redirect(`/workspace/groups/${group.handle}/following?done=unfollowed`, 303);
  });

  app.get("/workspace/groups/:handle/followers", signedIn, async (c) => {
    const group = await coordinatedGroup(db, c);
    if (group === null) return notFound(c);
    const { account, csrfToken } = c.get("signedIn");
    const page = pageContext(c, urls);
    const [followers, requests] = await Promise.all([
      listFollowers(db, group.id, "accepted"),
      listFollowers(db, group.id, "pending"),
    ]);
    const done = c.req.query("done");
    const notice =
      done === "accepted"
        ? page.t.requestAccepted
        : done === "rejected"
          ? page.t.requestRejected
          : undefined;
    return c.html(
      renderDocument(
        FollowersPage({ page, account, csrf: csrfToken, group, followers, requests, notice }),
      ),
    );
  });

  for (const action of ["accept", "reject"] as const) {
    app.post(
      `/workspace/groups/:handle/follow-requests/:id/${action}`,
      ...guards,
      signedIn,
      async (c) => {
        const group = await coordinatedGroup(db, c);
        const id = c.req.param("id") ?? "";
        if (group === null || !isId(id)) return notFound(c);
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
