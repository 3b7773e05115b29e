import type { OpenAPIHono as Hono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { findGroupByHandle, listGroups } from "../../db/groups.repo.ts";
import { listSmsChannels } from "../../db/sms-gateways.repo.ts";
import { normalizeDomain } from "../../domain/federation-policy.ts";
import { checkGroupInput } from "../../domain/group-input.ts";
import { isId } from "../../domain/ids.ts";
import {
  createInvitation,
  issuePasswordReset,
  listAccounts,
  listUnusedInvitations,
  revokeInvitation,
  setAccountAccess,
  signOutEverywhere,
} from "../../services/accounts.ts";
import { createGroup } from "../../services/groups.ts";
import { pageContext } from "../context.ts";
import type { WebDeps } from "../deps.ts";
import {
  AccountsPage,
  BlockDomainPage,
  type CollectiveInput,
  CollectivesPage,
  EmptyAllowlistPage,
  FederationPage,
  InvitationsPage,
} from "../pages/admin.ts";
import {
  confirmation,
  doneNotice,
  formField,
  formGuards,
  instanceAdmins,
  messagePage,
  notFoundPage,
  workspaceHtml,
} from "./shared.ts";

/** Instance admins: collectives, accounts, invitation links and the federation policy. */
export function registerAdminPages(app: Hono, deps: WebDeps): void {
  const { db, urls } = deps;
  const guards = formGuards(urls);
  const admins = instanceAdmins(deps);

  app.get("/workspace/admin/invitations", ...admins, async (c) => {
    const { t } = pageContext(c, urls);
    const [groups, open] = await Promise.all([listGroups(db), listUnusedInvitations(deps)]);
    const notice = doneNotice(c, { revoked: t.invitationRevoked });
    return workspaceHtml(c, urls, InvitationsPage, { groups, open, notice });
  });

  app.post("/workspace/admin/invitations/:id/revoke", ...guards, ...admins, async (c) => {
    const id = c.req.param("id") ?? "";
    if (!isId(id) || !(await revokeInvitation(deps, id))) return notFoundPage(c, urls);
    return c.redirect("/workspace/admin/invitations?done=revoked", 303);
  });

  app.post("/workspace/admin/invitations", ...guards, ...admins, async (c) => {
    const target = formField(await c.req.parseBody(), "for");
    const group = target.startsWith("group:")
      ? await findGroupByHandle(db, target.slice("group:".length))
      : null;
    if (target !== "admin" && group === null) return notFoundPage(c, urls);
    const invitation = await createInvitation(deps, group);
    const [groups, open] = await Promise.all([listGroups(db), listUnusedInvitations(deps)]);
    const created = urls.invitationPage(invitation.token);
    return workspaceHtml(c, urls, InvitationsPage, { groups, created, open }, 201);
  });

  const renderFederation = async (
    c: Context,
    extra: {
      notice?: string;
      problem?: string;
      input?: { domain: string; policy: string; reason: string };
    } = {},
    status: 200 | 409 | 422 = 200,
  ) => {
    const [mode, domains] = await Promise.all([
      deps.federationPolicy.mode(),
      deps.federationPolicy.domains(),
    ]);
    return workspaceHtml(c, urls, FederationPage, { mode, domains, ...extra }, status);
  };

  app.get("/workspace/admin/federation", ...admins, async (c) => {
    const { t } = pageContext(c, urls);
    return renderFederation(c, c.req.query("done") === "saved" ? { notice: t.saved } : {});
  });

  app.post("/workspace/admin/federation/mode", ...guards, ...admins, async (c) => {
    const form = await c.req.parseBody();
    const mode = formField(form, "mode");
    if (mode !== "open" && mode !== "allowlist") return renderFederation(c, {}, 422);
    const confirmed = confirmation(form);
    if (mode === "allowlist" && !confirmed.confirmed) {
      // Allowlist mode with no server allowed stops all federation: said first.
      const [current, domains] = await Promise.all([
        deps.federationPolicy.mode(),
        deps.federationPolicy.domains(),
      ]);
      if (current !== "allowlist" && !domains.some((d) => d.policy === "allow")) {
        const { notTicked } = confirmed;
        return workspaceHtml(
          c,
          urls,
          EmptyAllowlistPage,
          { notConfirmed: notTicked },
          notTicked ? 422 : 200,
        );
      }
    }
    await deps.federationPolicy.setMode(mode);
    return c.redirect("/workspace/admin/federation?done=saved", 303);
  });

  app.post("/workspace/admin/federation/domains", ...guards, ...admins, async (c) => {
    const { t } = pageContext(c, urls);
    const form = await c.req.parseBody();
    const input = {
      domain: formField(form, "domain").trim().slice(0, 300),
      policy: formField(form, "policy"),
      reason: formField(form, "reason").trim().slice(0, 500),
    };
    if (input.policy !== "allow" && input.policy !== "block") {
      return renderFederation(c, { input, problem: t.domainInvalid }, 422);
    }
    const confirmed = confirmation(form);
    if (input.policy === "block" && !confirmed.confirmed) {
      // A block deletes at once: the step says what, unless the rule is refused anyway.
      const normalized = normalizeDomain(input.domain);
      const exists =
        normalized.ok &&
        (await deps.federationPolicy.domains()).some((d) => d.domain === normalized.domain);
      if (normalized.ok && !exists) {
        const { carry, notTicked } = confirmed;
        return workspaceHtml(
          c,
          urls,
          BlockDomainPage,
          { domain: normalized.domain, carry, notConfirmed: notTicked },
          notTicked ? 422 : 200,
        );
      }
    }
    const result = await deps.federationPolicy.addDomain({
      domain: input.domain,
      policy: input.policy,
      reason: input.reason === "" ? null : input.reason,
    });
    if (!result.ok) {
      return result.error === "exists"
        ? renderFederation(c, { input, problem: t.domainExists }, 409)
        : renderFederation(c, { input, problem: t.domainInvalid }, 422);
    }
    const notice =
      result.entry.policy === "block"
        ? t.blockRemoved(result.removed.followers, result.removed.following)
        : t.saved;
    return renderFederation(c, { notice });
  });

  app.post("/workspace/admin/federation/domains/remove", ...guards, ...admins, async (c) => {
    await deps.federationPolicy.removeDomain(formField(await c.req.parseBody(), "domain"));
    return c.redirect("/workspace/admin/federation?done=saved", 303);
  });

  const renderCollectives = async (
    c: Context,
    extra: Omit<Parameters<typeof CollectivesPage>[0], "page" | "account" | "csrf" | "groups"> = {},
    status: 200 | 409 | 422 = 200,
  ) => {
    const [groups, sms] = await Promise.all([listGroups(db), listSmsChannels(db)]);
    return workspaceHtml(c, urls, CollectivesPage, { groups, sms, ...extra }, status);
  };

  app.get("/workspace/admin/groups", ...admins, async (c) => {
    const { t } = pageContext(c, urls);
    const created = await findGroupByHandle(db, c.req.query("created") ?? "");
    return renderCollectives(
      c,
      created === null ? {} : { notice: t.collectiveCreated(created.name) },
    );
  });

  app.post("/workspace/admin/groups", ...guards, ...admins, async (c) => {
    const form = await c.req.parseBody();
    const input: CollectiveInput = {
      handle: formField(form, "handle").slice(0, 100),
      name: formField(form, "name").slice(0, 1000),
      summary: formField(form, "summary").slice(0, 10000),
      followPolicy: formField(form, "followPolicy"),
    };
    const checked = checkGroupInput(input);
    if (!checked.ok) return renderCollectives(c, { problems: checked.problems, input }, 422);
    // The same use case as POST /api/v1/groups: the keys are made here too.
    const result = await createGroup(deps, checked.input);
    if (!result.ok) {
      return renderCollectives(c, { problems: { handle: "handle-taken" }, input }, 409);
    }
    return c.redirect(`/workspace/admin/groups?created=${result.group.handle}`, 303);
  });

  app.get("/workspace/admin/accounts", ...admins, async (c) => {
    const { t } = pageContext(c, urls);
    const [accounts, groups] = await Promise.all([listAccounts(deps), listGroups(db)]);
    const ended = Number(c.req.query("ended"));
    const notice = doneNotice(c, {
      revoked: t.accessRevoked,
      restored: t.accessRestored,
      ...(Number.isInteger(ended) && ended >= 0 ? { "signed-out": t.sessionsEnded(ended) } : {}),
    });
    return workspaceHtml(c, urls, AccountsPage, { accounts, groups, notice });
  });

  app.post("/workspace/admin/accounts/:id/sign-out", ...guards, ...admins, async (c) => {
    const id = c.req.param("id");
    const ended = isId(id) ? await signOutEverywhere(deps, id) : null;
    if (ended === null) return notFoundPage(c, urls);
    return c.redirect(`/workspace/admin/accounts?done=signed-out&ended=${ended}`, 303);
  });

  app.post("/workspace/admin/accounts/:id/reset-link", ...guards, ...admins, async (c) => {
    const id = c.req.param("id") ?? "";
    const issued = isId(id) ? await issuePasswordReset(deps, id) : null;
    if (issued === null) return notFoundPage(c, urls);
    const [accounts, groups] = await Promise.all([listAccounts(deps), listGroups(db)]);
    const username = accounts.find((a) => a.account.id === id)?.account.username ?? "";
    // Shown once, never cached: the link is the person's key to their account.
    c.header("Cache-Control", "no-store");
    return workspaceHtml(
      c,
      urls,
      AccountsPage,
      { accounts, groups, resetLink: { username, url: urls.passwordResetPage(issued.token) } },
      201,
    );
  });

  for (const access of ["revoke", "restore"] as const) {
    app.post(`/workspace/admin/accounts/:id/${access}`, ...guards, ...admins, async (c) => {
      const { t } = pageContext(c, urls);
      const id = c.req.param("id") ?? "";
      const result = isId(id)
        ? await setAccountAccess(deps, c.get("signedIn").account, id, access)
        : "not-found";
      if (result === "not-found") return notFoundPage(c, urls);
      if (result === "self") return messagePage(c, urls, t.accountsHeading, t.notYourself, 409);
      return c.redirect(`/workspace/admin/accounts?done=${result}`, 303);
    });
  }
}
