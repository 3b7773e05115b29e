import type { OpenAPIHono as Hono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { findGroupByHandle } from "../../db/groups.repo.ts";
import type { Group } from "../../domain/group.ts";
import {
  findCoordinatorToken,
  issueCoordinatorToken,
  listCoordinatorTokens,
  relabelCoordinatorToken,
  revokeCoordinatorToken,
} from "../../services/tokens.ts";
import { pageContext } from "../context.ts";
import type { WebDeps } from "../deps.ts";
import { RevokeTokenPage, type TokenFormProblem, TokensPage, tokensPath } from "../pages/tokens.ts";
import {
  doneNotice,
  formField,
  formGuards,
  instanceAdmins,
  notFoundPage,
  workspaceHtml,
} from "./shared.ts";

/**
 * A collective's coordinator tokens, for the instance admins: the same use
 * cases as the API's `/api/v1/groups/{handle}/tokens`.
 */
export function registerTokenPages(app: Hono, deps: WebDeps): void {
  const { db, urls } = deps;
  const guards = formGuards(urls);
  const admins = instanceAdmins(deps);
  const path = "/workspace/admin/groups/:handle/tokens";

  const groupOf = (c: Context) => findGroupByHandle(db, c.req.param("handle") ?? "");

  const render = async (
    c: Context,
    group: Group,
    extra: { issued?: string; notice?: string; problem?: TokenFormProblem } = {},
    status: 200 | 201 | 422 = 200,
  ) => {
    const tokens = await listCoordinatorTokens(deps, group);
    return workspaceHtml(c, urls, TokensPage, { group, tokens, ...extra }, status);
  };

  app.get(path, ...admins, async (c) => {
    const group = await groupOf(c);
    if (group === null) return notFoundPage(c, urls);
    const { t } = pageContext(c, urls);
    const notice = doneNotice(c, { revoked: t.tokenRevoked, labelled: t.tokenLabelSaved });
    return render(c, group, notice === undefined ? {} : { notice });
  });

  app.post(path, ...guards, ...admins, async (c) => {
    const group = await groupOf(c);
    if (group === null) return notFoundPage(c, urls);
    const label = formField(await c.req.parseBody(), "label").slice(0, 1000);
    const issued = await issueCoordinatorToken(deps, group, label);
    if (!issued.ok) {
      return render(c, group, { problem: { tokenId: null, problem: issued.problem, label } }, 422);
    }
    // Shown on this answer only (no redirect): it is never stored in the clear.
    c.header("Cache-Control", "no-store");
    return render(c, group, { issued: issued.token }, 201);
  });

  app.post(`${path}/:id/label`, ...guards, ...admins, async (c) => {
    const group = await groupOf(c);
    if (group === null) return notFoundPage(c, urls);
    const id = c.req.param("id");
    const label = formField(await c.req.parseBody(), "label").slice(0, 1000);
    const result = await relabelCoordinatorToken(deps, group, id, label);
    if (result === "not-found") return notFoundPage(c, urls);
    if (result !== "relabelled") {
      return render(c, group, { problem: { tokenId: id, problem: result, label } }, 422);
    }
    return c.redirect(`${tokensPath(group)}?done=labelled`, 303);
  });

  const ownToken = async (c: Context) => {
    const group = await groupOf(c);
    if (group === null) return null;
    const token = await findCoordinatorToken(deps, group, c.req.param("id") ?? "");
    return token === null ? null : { group, token };
  };

  app.get(`${path}/:id/revoke`, ...admins, async (c) => {
    const found = await ownToken(c);
    if (found === null) return notFoundPage(c, urls);
    return workspaceHtml(c, urls, RevokeTokenPage, { ...found, notConfirmed: false });
  });

  app.post(`${path}/:id/revoke`, ...guards, ...admins, async (c) => {
    const found = await ownToken(c);
    if (found === null) return notFoundPage(c, urls);
    if (formField(await c.req.parseBody(), "confirm") !== "1") {
      return workspaceHtml(c, urls, RevokeTokenPage, { ...found, notConfirmed: true }, 422);
    }
    if (!(await revokeCoordinatorToken(deps, found.group, found.token.id))) {
      return notFoundPage(c, urls);
    }
    return c.redirect(`${tokensPath(found.group)}?done=revoked`, 303);
  });
}
