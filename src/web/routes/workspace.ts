import type { OpenAPIHono as Hono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { findGroupByHandle, findGroupById, listGroups } from "../../db/groups.repo.ts";
import { findProposal, listProposals } from "../../db/proposals.repo.ts";
import type { Group } from "../../domain/group.ts";
import { isId } from "../../domain/ids.ts";
import type { IntakeField, IntakeInput, IntakeProblem } from "../../domain/intake.ts";
import type { Purpose } from "../../domain/proposal.ts";
import { addressBucket } from "../../domain/rate-limit.ts";
import {
  acceptInvitation,
  createInvitation,
  findInvitation,
  login,
  logout,
} from "../../services/accounts.ts";
import { editProposal } from "../../services/proposals.ts";
import { declineIntake, listTriageQueue, publishIntake } from "../../services/triage.ts";
import {
  createPostFromForm,
  editPostFromForm,
  formValuesOf,
  type PostFormResult,
} from "../../services/workspace-posts.ts";
import { pageContext } from "../context.ts";
import type { WebDeps } from "../deps.ts";
import { renderDocument } from "../layout.ts";
import { InvitationPage, LoginPage } from "../pages/account-forms.ts";
import { EMPTY_INTAKE } from "../pages/intake-form.ts";
import { MessagePage } from "../pages/message.ts";
import {
  FederationPage,
  InvitationsPage,
  PostFormPage,
  PostsPage,
  type TriageEdit,
  TriagePage,
  WorkspacePage,
} from "../pages/workspace.ts";
import { clientAddress, formBodyLimit, sameOriginForms } from "../request-guards.ts";
import { clearSessionCookie, requireSignIn, sessionId, setSessionCookie } from "../session.ts";

const field = (form: Record<string, unknown>, name: string) =>
  typeof form[name] === "string" ? (form[name] as string) : "";

/** Only our own paths: `next` must not send a coordinator to another site after sign-in. */
function safeNext(next: string): string {
  return /^\/workspace(\/[A-Za-z0-9_\-/]*)?$/.test(next) ? next : "/workspace";
}

/** Invitations, sign-in and the coordinators' workspace (triage for now). */
export function registerWorkspacePages(app: Hono, deps: WebDeps): void {
  const { db, urls } = deps;
  const guards = [formBodyLimit(urls), sameOriginForms(urls)] as const;
  const message = (c: Context, title: string, text: string, status: 403 | 404 | 409 | 410) => {
    const page = pageContext(c, urls);
    return c.html(renderDocument(MessagePage({ page, title, text })), status);
  };

  app.get("/invitations/:token", async (c) => {
    const page = pageContext(c, urls);
    c.header("Cache-Control", "no-store");
    const token = c.req.param("token");
    const invitation = await findInvitation(deps, token);
    if (invitation.state !== "open") {
      if (invitation.state === "missing") {
        return message(c, page.t.notFound, page.t.notFoundText, 404);
      }
      const text = invitation.state === "used" ? page.t.invitationUsed : page.t.invitationExpired;
      return message(c, text, text, 410);
    }
    return c.html(
      renderDocument(
        InvitationPage({ page, group: invitation.group, token, username: "", problems: {} }),
      ),
    );
  });

  app.post("/invitations/:token", ...guards, async (c) => {
    const page = pageContext(c, urls);
    const token = c.req.param("token");
    const form = await c.req.parseBody();
    const input = {
      username: field(form, "username").slice(0, 100),
      password: field(form, "password"),
      passwordAgain: field(form, "passwordAgain"),
    };
    const result = await acceptInvitation(deps, token, input);
    if (result.ok) {
      setSessionCookie(c, urls, result.session);
      return c.redirect("/workspace", 303);
    }
    if ("state" in result) {
      if (result.state === "missing") return message(c, page.t.notFound, page.t.notFoundText, 404);
      const text = result.state === "used" ? page.t.invitationUsed : page.t.invitationExpired;
      return message(c, text, text, 410);
    }
    const invitation = await findInvitation(deps, token);
    if (invitation.state !== "open") return message(c, page.t.notFound, page.t.notFoundText, 404);
    const problems = Object.fromEntries(
      Object.entries(result.problems).map(([k, v]) => [k, page.t.accountProblems[v]]),
    );
    return c.html(
      renderDocument(
        InvitationPage({
          page,
          group: invitation.group,
          token,
          username: input.username,
          problems,
        }),
      ),
      422,
    );
  });

  app.get("/login", (c) => {
    const page = pageContext(c, urls);
    const next = safeNext(c.req.query("next") ?? "/workspace");
    return c.html(renderDocument(LoginPage({ page, username: "", next })));
  });

  app.post("/login", ...guards, async (c) => {
    const page = pageContext(c, urls);
    const form = await c.req.parseBody();
    const username = field(form, "username").slice(0, 100);
    const next = safeNext(field(form, "next"));
    const result = await login(
      deps,
      { username, password: field(form, "password") },
      addressBucket(clientAddress(c, deps.trustProxy)),
    );
    if (result.ok) {
      setSessionCookie(c, urls, result.session);
      return c.redirect(next, 303);
    }
    if (result.reason === "rate-limited") {
      c.header("Retry-After", String(result.retryAfterSeconds));
      const minutes = Math.ceil(result.retryAfterSeconds / 60);
      return c.html(
        renderDocument(
          LoginPage({ page, username, next, error: page.t.loginRateLimited(minutes) }),
        ),
        429,
      );
    }
    return c.html(
      renderDocument(LoginPage({ page, username, next, error: page.t.loginFailed })),
      401,
    );
  });

  const signedIn = requireSignIn(deps);

  app.post("/logout", ...guards, signedIn, async (c) => {
    const id = sessionId(c, urls);
    if (id !== undefined) await logout(deps, id);
    clearSessionCookie(c, urls);
    return c.redirect("/", 303);
  });

  app.get("/workspace", signedIn, async (c) => {
    const { account, csrfToken, groupIds } = c.get("signedIn");
    const groups = (await Promise.all(groupIds.map((id) => findGroupById(db, id)))).filter(
      (g): g is Group => g !== null,
    );
    const page = pageContext(c, urls);
    return c.html(renderDocument(WorkspacePage({ page, account, csrf: csrfToken, groups })));
  });

  /** The group, if the signed-in account coordinates it. */
  const coordinatedGroup = async (c: Context): Promise<Group | null> => {
    const group = await findGroupByHandle(db, c.req.param("handle") ?? "");
    return group !== null && c.get("signedIn").groupIds.includes(group.id) ? group : null;
  };

  const renderTriage = async (
    c: Context,
    group: Group,
    extra: { notice?: string; edit?: TriageEdit } = {},
  ) => {
    const { account, csrfToken } = c.get("signedIn");
    const page = pageContext(c, urls);
    const requests = await listTriageQueue(deps, group);
    const today = deps.clock().toZonedDateTimeISO("UTC").toPlainDate();
    return c.html(
      renderDocument(
        TriagePage({ page, account, csrf: csrfToken, group, requests, today, ...extra }),
      ),
      extra.edit === undefined ? 200 : 422,
    );
  };

  app.get("/workspace/groups/:handle/triage", signedIn, async (c) => {
    const group = await coordinatedGroup(c);
    const { t } = pageContext(c, urls);
    if (group === null) return message(c, t.notFound, t.notFoundText, 404);
    const done = c.req.query("done");
    const notice =
      done === "published"
        ? t.published
        : done === "declined"
          ? t.declined
          : done === "taken"
            ? t.alreadyTriaged
            : undefined;
    return renderTriage(c, group, notice === undefined ? {} : { notice });
  });

  app.post("/workspace/groups/:handle/triage/:id/publish", ...guards, signedIn, async (c) => {
    const group = await coordinatedGroup(c);
    const { t } = pageContext(c, urls);
    const id = c.req.param("id");
    if (group === null || !isId(id)) return message(c, t.notFound, t.notFoundText, 404);
    const form = await c.req.parseBody();
    const values = Object.fromEntries(
      Object.keys(EMPTY_INTAKE).map((k) => [k, field(form, k)]),
    ) as unknown as IntakeInput;
    const result = await publishIntake(deps, group, id, values);
    const base = `/workspace/groups/${group.handle}/triage`;
    if (result.ok) return c.redirect(`${base}?done=published`, 303);
    if (result.reason === "invalid") {
      return renderTriage(c, group, { edit: { id, values, problems: result.problems } });
    }
    if (result.reason === "not-found") return message(c, t.notFound, t.notFoundText, 404);
    return c.redirect(`${base}?done=taken`, 303);
  });

  app.post("/workspace/groups/:handle/triage/:id/decline", ...guards, signedIn, async (c) => {
    const group = await coordinatedGroup(c);
    const { t } = pageContext(c, urls);
    const id = c.req.param("id");
    if (group === null || !isId(id)) return message(c, t.notFound, t.notFoundText, 404);
    const result = await declineIntake(deps, group, id);
    if (!result.ok && result.reason === "not-found") {
      return message(c, t.notFound, t.notFoundText, 404);
    }
    const base = `/workspace/groups/${group.handle}/triage`;
    return c.redirect(`${base}?done=${result.ok ? "declined" : "taken"}`, 303);
  });

  app.get("/workspace/groups/:handle/posts", signedIn, async (c) => {
    const group = await coordinatedGroup(c);
    const page = pageContext(c, urls);
    if (group === null) return message(c, page.t.notFound, page.t.notFoundText, 404);
    const { account, csrfToken } = c.get("signedIn");
    const proposals = await listProposals(db, {
      groupId: group.id,
      includeFollowersOnly: true,
      limit: 100,
    });
    const done = c.req.query("done");
    const notice =
      done === "changed"
        ? page.t.statusChanged
        : done === "refused"
          ? page.t.statusNotAllowed
          : done === "saved"
            ? page.t.saved
            : undefined;
    return c.html(
      renderDocument(PostsPage({ page, account, csrf: csrfToken, group, proposals, notice })),
    );
  });

  app.post("/workspace/groups/:handle/posts/:id/status", ...guards, signedIn, async (c) => {
    const group = await coordinatedGroup(c);
    const { t } = pageContext(c, urls);
    const id = c.req.param("id");
    const found = group !== null && isId(id) ? await findProposal(db, id) : null;
    if (group === null || found?.state !== "live" || found.proposal.groupId !== group.id) {
      return message(c, t.notFound, t.notFoundText, 404);
    }
    const status = field(await c.req.parseBody(), "status");
    const base = `/workspace/groups/${group.handle}/posts`;
    if (status !== "pledged" && status !== "fulfilled" && status !== "closed") {
      return c.redirect(`${base}?done=refused`, 303);
    }
    const result = await editProposal(deps, found.proposal, { status });
    return c.redirect(`${base}?done=${result.ok ? "changed" : "refused"}`, 303);
  });

  const formValues = (form: Record<string, unknown>) =>
    Object.fromEntries(
      Object.keys(EMPTY_INTAKE).map((k) => [k, field(form, k)]),
    ) as unknown as IntakeInput;
  const today = () => deps.clock().toZonedDateTimeISO("UTC").toPlainDate();

  const renderPostForm = (
    c: Context,
    props: {
      purpose: Purpose;
      heading: string;
      action: string;
      values: IntakeInput;
      problems?: Partial<Record<IntakeField, IntakeProblem>>;
      formError?: string;
    },
    status: 200 | 409 | 422 = 200,
  ) => {
    const { account, csrfToken } = c.get("signedIn");
    const page = pageContext(c, urls);
    return c.html(
      renderDocument(
        PostFormPage({
          page,
          account,
          csrf: csrfToken,
          problems: {},
          today: today(),
          ...props,
        }),
      ),
      status,
    );
  };

  /** After a failed save: the form again, with the person's input and what went wrong. */
  const formFailure = (
    c: Context,
    result: Exclude<PostFormResult, { ok: true }>,
    props: { purpose: Purpose; heading: string; action: string; values: IntakeInput },
  ) => {
    const { t } = pageContext(c, urls);
    if (result.reason === "invalid") {
      return renderPostForm(c, { ...props, problems: result.problems }, 422);
    }
    const formError =
      result.error.type === "conflict"
        ? t.postConflict
        : result.error.type === "expiry-in-past"
          ? t.problems["date-in-past"]
          : t.postTerminal;
    return renderPostForm(c, { ...props, formError }, 409);
  };

  const purposeOf = (c: Context): Purpose =>
    c.req.query("purpose") === "offer" ? "offer" : "request";

  app.get("/workspace/groups/:handle/posts/new", signedIn, async (c) => {
    const group = await coordinatedGroup(c);
    const { t } = pageContext(c, urls);
    if (group === null) return message(c, t.notFound, t.notFoundText, 404);
    const purpose = purposeOf(c);
    return renderPostForm(c, {
      purpose,
      heading: purpose === "request" ? t.newNeedHeading(group.name) : t.newOfferHeading(group.name),
      action: `/workspace/groups/${group.handle}/posts/new?purpose=${purpose}`,
      values: EMPTY_INTAKE,
    });
  });

  app.post("/workspace/groups/:handle/posts/new", ...guards, signedIn, async (c) => {
    const group = await coordinatedGroup(c);
    const { t } = pageContext(c, urls);
    if (group === null) return message(c, t.notFound, t.notFoundText, 404);
    const purpose = purposeOf(c);
    const values = formValues(await c.req.parseBody());
    const result = await createPostFromForm(deps, group, purpose, values);
    if (result.ok) return c.redirect(`/workspace/groups/${group.handle}/posts?done=saved`, 303);
    return formFailure(c, result, {
      purpose,
      heading: purpose === "request" ? t.newNeedHeading(group.name) : t.newOfferHeading(group.name),
      action: `/workspace/groups/${group.handle}/posts/new?purpose=${purpose}`,
      values,
    });
  });

  /** A live need or offer of a group the account coordinates. */
  const coordinatedProposal = async (c: Context) => {
    const group = await coordinatedGroup(c);
    const id = c.req.param("id") ?? "";
    const found = group !== null && isId(id) ? await findProposal(db, id) : null;
    if (group === null || found?.state !== "live" || found.proposal.groupId !== group.id) {
      return null;
    }
    return { group, proposal: found.proposal };
  };

  app.get("/workspace/groups/:handle/posts/:id/edit", signedIn, async (c) => {
    const found = await coordinatedProposal(c);
    const { t } = pageContext(c, urls);
    if (found === null) return message(c, t.notFound, t.notFoundText, 404);
    const { group, proposal } = found;
    return renderPostForm(c, {
      purpose: proposal.purpose,
      heading: t.editHeading(proposal.title),
      action: `/workspace/groups/${group.handle}/posts/${proposal.id}/edit`,
      values: formValuesOf(proposal),
    });
  });

  app.post("/workspace/groups/:handle/posts/:id/edit", ...guards, signedIn, async (c) => {
    const found = await coordinatedProposal(c);
    const { t } = pageContext(c, urls);
    if (found === null) return message(c, t.notFound, t.notFoundText, 404);
    const { group, proposal } = found;
    const values = formValues(await c.req.parseBody());
    const result = await editPostFromForm(deps, proposal, values);
    if (result.ok) return c.redirect(`/workspace/groups/${group.handle}/posts?done=saved`, 303);
    return formFailure(c, result, {
      purpose: proposal.purpose,
      heading: t.editHeading(proposal.title),
      action: `/workspace/groups/${group.handle}/posts/${proposal.id}/edit`,
      values,
    });
  });

  app.get("/workspace/admin/invitations", signedIn, async (c) => {
    const { account, csrfToken } = c.get("signedIn");
    const page = pageContext(c, urls);
    if (!account.isAdmin) return message(c, page.t.notFound, page.t.notFoundText, 404);
    const groups = await listGroups(db);
    return c.html(renderDocument(InvitationsPage({ page, account, csrf: csrfToken, groups })));
  });

  app.post("/workspace/admin/invitations", ...guards, signedIn, async (c) => {
    const { account, csrfToken } = c.get("signedIn");
    const page = pageContext(c, urls);
    if (!account.isAdmin) return message(c, page.t.notFound, page.t.notFoundText, 404);
    const target = field(await c.req.parseBody(), "for");
    const group = target.startsWith("group:")
      ? await findGroupByHandle(db, target.slice("group:".length))
      : null;
    if (target !== "admin" && group === null) {
      return message(c, page.t.notFound, page.t.notFoundText, 404);
    }
    const invitation = await createInvitation(deps, group);
    const groups = await listGroups(db);
    return c.html(
      renderDocument(
        InvitationsPage({
          page,
          account,
          csrf: csrfToken,
          groups,
          created: urls.invitationPage(invitation.token),
        }),
      ),
      201,
    );
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
    const { account, csrfToken } = c.get("signedIn");
    const page = pageContext(c, urls);
    const [mode, domains] = await Promise.all([
      deps.federationPolicy.mode(),
      deps.federationPolicy.domains(),
    ]);
    return c.html(
      renderDocument(FederationPage({ page, account, csrf: csrfToken, mode, domains, ...extra })),
      status,
    );
  };
  const adminOnly = (c: Context) => {
    if (c.get("signedIn").account.isAdmin) return null;
    const { t } = pageContext(c, urls);
    return message(c, t.notFound, t.notFoundText, 404);
  };

  app.get("/workspace/admin/federation", signedIn, async (c) => {
    const refused = adminOnly(c);
    if (refused !== null) return refused;
    const { t } = pageContext(c, urls);
    return renderFederation(c, c.req.query("done") === "saved" ? { notice: t.saved } : {});
  });

  app.post("/workspace/admin/federation/mode", ...guards, signedIn, async (c) => {
    const refused = adminOnly(c);
    if (refused !== null) return refused;
    const mode = field(await c.req.parseBody(), "mode");
    if (mode !== "open" && mode !== "allowlist") return renderFederation(c, {}, 422);
    await deps.federationPolicy.setMode(mode);
    return c.redirect("/workspace/admin/federation?done=saved", 303);
  });

  app.post("/workspace/admin/federation/domains", ...guards, signedIn, async (c) => {
    const refused = adminOnly(c);
    if (refused !== null) return refused;
    const { t } = pageContext(c, urls);
    const form = await c.req.parseBody();
    const input = {
      domain: field(form, "domain").trim().slice(0, 300),
      policy: field(form, "policy"),
      reason: field(form, "reason").trim().slice(0, 500),
    };
    if (input.policy !== "allow" && input.policy !== "block") {
      return renderFederation(c, { input, problem: t.domainInvalid }, 422);
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

  app.post("/workspace/admin/federation/domains/remove", ...guards, signedIn, async (c) => {
    const refused = adminOnly(c);
    if (refused !== null) return refused;
    await deps.federationPolicy.removeDomain(field(await c.req.parseBody(), "domain"));
    return c.redirect("/workspace/admin/federation?done=saved", 303);
  });
}
