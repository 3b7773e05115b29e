import { type Child, jsx as h } from "hono/jsx";
import type { AccountOverview } from "../../db/accounts.repo.ts";
import type { DomainPolicyEntry, FederationMode } from "../../domain/federation-policy.ts";
import type { Group } from "../../domain/group.ts";
import { GROUP_LIMITS, type GroupField, type GroupProblem } from "../../domain/group-input.ts";
import type { OpenInvitation } from "../../services/accounts.ts";
import type { PageContext } from "../context.ts";
import { formatInstant } from "../format.ts";
import { ConfirmStepPage } from "./confirm-step.ts";
import { FormField } from "./form-field.ts";
import { csrfInput, WorkspacePage, type WorkspaceView } from "./workspace-page.ts";

/** An admin creates an invitation link; a new one is shown once, above the form. */
export function InvitationsPage({
  page,
  account,
  csrf,
  groups,
  created,
  open = [],
  notice,
}: WorkspaceView & {
  groups: readonly Group[];
  created?: URL | undefined;
  /** Links not used yet, each revocable. */
  open?: readonly OpenInvitation[];
  notice?: string | undefined;
}) {
  const { t, locale } = page;
  return WorkspacePage({
    page,
    account,
    csrf,
    title: t.inviteHeading,
    nav: AdminNav({ page }),
    notice,
    children: [
      created === undefined
        ? null
        : h(
            "div",
            { class: "notice", role: "status" },
            h("p", null, t.inviteCreated),
            h("p", { class: "secret" }, created.href),
          ),
      h("p", null, t.inviteIntro),
      h(
        "form",
        { method: "post", action: "/workspace/admin/invitations", class: "stack" },
        csrfInput(csrf),
        h(
          "div",
          null,
          h("label", { for: "invite-for" }, t.inviteFor),
          h(
            "select",
            { id: "invite-for", name: "for", required: true },
            groups.map((g) => h("option", { value: `group:${g.handle}` }, g.name)),
            h("option", { value: "admin" }, t.inviteAdminOption),
          ),
        ),
        h("div", null, h("button", { type: "submit" }, t.inviteCreate)),
      ),
      h("h2", null, t.openInvitationsHeading),
      open.length === 0
        ? h("p", null, t.openInvitationsEmpty)
        : h(
            "ul",
            { class: "items", id: "open-invitations" },
            open.map((i) => {
              const target = i.group === null ? t.inviteAdminOption : i.group.name;
              return h(
                "li",
                { "data-invitation": i.id },
                h("strong", null, target),
                h(
                  "div",
                  { class: "meta" },
                  `${t.invitationCreatedOn(formatInstant(i.createdAt, locale, page.timeZone))} · `,
                  i.expired
                    ? t.invitationExpiredOn(formatInstant(i.expiresAt, locale, page.timeZone))
                    : t.invitationExpiresOn(formatInstant(i.expiresAt, locale, page.timeZone)),
                ),
                h(
                  "form",
                  { method: "post", action: `/workspace/admin/invitations/${i.id}/revoke` },
                  csrfInput(csrf),
                  h(
                    "button",
                    {
                      type: "submit",
                      class: "secondary",
                      "aria-label": t.revokeInvitationFor(target),
                    },
                    t.revokeInvitation,
                  ),
                ),
              );
            }),
          ),
    ],
  });
}

/** The admins' federation policy: mode, and allow/block rules per server. */
export function FederationPage({
  page,
  account,
  csrf,
  mode,
  domains,
  notice,
  problem,
  input,
}: WorkspaceView & {
  mode: FederationMode;
  domains: readonly DomainPolicyEntry[];
  notice?: string | undefined;
  problem?: string | undefined;
  input?: { domain: string; policy: string; reason: string } | undefined;
}) {
  const { t, locale } = page;
  const zone = page.timeZone;
  const base = "/workspace/admin/federation";
  return WorkspacePage({
    page,
    account,
    csrf,
    title: t.federationHeading,
    nav: AdminNav({ page }),
    notice,
    children: [
      h("p", null, t.federationIntro),
      h(
        "form",
        { method: "post", action: `${base}/mode`, class: "stack" },
        csrfInput(csrf),
        h(
          "fieldset",
          null,
          h("legend", null, t.modeLabel),
          (["open", "allowlist"] as const).map((m) =>
            h(
              "div",
              null,
              h("input", {
                type: "radio",
                name: "mode",
                value: m,
                id: `mode-${m}`,
                checked: m === mode ? true : undefined,
                class: "choice",
              }),
              " ",
              h("label", { for: `mode-${m}`, class: "choice" }, t.modes[m]),
            ),
          ),
        ),
        h("div", null, h("button", { type: "submit" }, t.save)),
      ),
      h("h2", null, t.domainsHeading),
      domains.length === 0
        ? h("p", null, t.noDomains)
        : h(
            "ul",
            { class: "items" },
            domains.map((d) =>
              h(
                "li",
                null,
                h("strong", null, d.domain),
                ` · ${t.policies[d.policy]}`,
                d.reason === null ? null : ` · ${d.reason}`,
                h("div", { class: "meta" }, formatInstant(d.createdAt, locale, zone)),
                h(
                  "form",
                  { method: "post", action: `${base}/domains/remove` },
                  csrfInput(csrf),
                  h("input", { type: "hidden", name: "domain", value: d.domain }),
                  h(
                    "button",
                    {
                      type: "submit",
                      class: "secondary",
                      "aria-label": `${t.removeDomain} ${d.domain}`,
                    },
                    t.removeDomain,
                  ),
                ),
              ),
            ),
          ),
      h(
        "form",
        { method: "post", action: `${base}/domains`, class: "stack" },
        csrfInput(csrf),
        problem === undefined
          ? null
          : h("div", { class: "notice problem", role: "alert" }, problem),
        h(
          "div",
          null,
          h("label", { for: "rule-domain" }, t.domainLabel),
          h("input", {
            id: "rule-domain",
            name: "domain",
            type: "text",
            required: true,
            maxlength: 300,
            autocapitalize: "none",
            value: input?.domain ?? "",
            "aria-invalid": problem === undefined ? undefined : "true",
          }),
        ),
        h(
          "div",
          null,
          h("label", { for: "rule-policy" }, t.policyLabel),
          h(
            "select",
            { id: "rule-policy", name: "policy" },
            (["block", "allow"] as const).map((p) =>
              h(
                "option",
                { value: p, selected: input?.policy === p ? true : undefined },
                t.policies[p],
              ),
            ),
          ),
        ),
        h(
          "div",
          null,
          h("label", { for: "rule-reason" }, t.reasonLabel),
          h("input", {
            id: "rule-reason",
            name: "reason",
            type: "text",
            maxlength: 500,
            value: input?.reason ?? "",
          }),
        ),
        h("div", null, h("button", { type: "submit" }, t.addDomain)),
      ),
    ],
  });
}

/** The admins' pages, linked from each of them. */
export function AdminNav({ page }: { page: PageContext }) {
  const { t } = page;
  const link = (path: string, text: string) => {
    const href = `/workspace/admin/${path}`;
    return h(
      "li",
      null,
      h(
        "a",
        { href, "aria-current": page.currentUrl.pathname === href ? "page" : undefined },
        text,
      ),
    );
  };
  return h(
    "nav",
    { "aria-label": t.admin, class: "no-print" },
    h(
      "ul",
      { class: "actions" },
      link("groups", t.collectivesHeading),
      link("accounts", t.accountsHeading),
      link("invitations", t.inviteHeading),
      link("federation", t.federationHeading),
      link("messaging", t.email.adminHeading),
    ),
  );
}

export interface CollectiveInput {
  readonly handle: string;
  readonly name: string;
  readonly summary: string;
  readonly followPolicy: string;
}

/** Every collective of the instance, and the form that creates one. */
export function CollectivesPage({
  page,
  account,
  csrf,
  groups,
  notice,
  problems = {},
  input,
  sms,
}: WorkspaceView & {
  groups: readonly Group[];
  notice?: string | undefined;
  problems?: Partial<Record<GroupField, GroupProblem>>;
  input?: CollectiveInput | undefined;
  /** Each collective's SMS gateway, by group id (set through the API). */
  sms?: ReadonlyMap<string, { readonly protocol: string; readonly phoneNumber: string }>;
}) {
  const { t, urls } = page;
  const field = (
    name: GroupField,
    label: string,
    control: (attrs: Record<string, unknown>) => Child,
    hint?: string,
  ) => {
    const problem = problems[name];
    const text = problem === undefined ? undefined : t.collectiveProblems[problem];
    return FormField({ id: `g-${name}`, name, label, hint, problem: text, control });
  };
  return WorkspacePage({
    page,
    account,
    csrf,
    title: t.collectivesHeading,
    nav: AdminNav({ page }),
    notice,
    children: [
      groups.length === 0
        ? h("p", null, t.collectivesEmpty)
        : h(
            "ul",
            { class: "items", id: "collectives" },
            groups.map((g) =>
              h(
                "li",
                null,
                h("a", { href: `/groups/${g.handle}` }, g.name),
                h(
                  "div",
                  { class: "meta" },
                  `@${g.handle}@${urls.origin.host} · ${t.followPolicyLabel}: ${t.followPolicies[g.followPolicy]}`,
                ),
                g.summary === "" ? null : h("p", null, g.summary),
                SmsStatus({ page, gateway: sms?.get(g.id) }),
                h(
                  "p",
                  { class: "actions" },
                  h("a", { href: `/workspace/groups/${g.handle}/triage` }, t.triage),
                  " · ",
                  h("a", { href: `/workspace/groups/${g.handle}/posts` }, t.posts),
                  " · ",
                  h(
                    "a",
                    {
                      href: `/workspace/admin/groups/${g.handle}/tokens`,
                      "aria-label": t.tokensNamed(g.name),
                    },
                    t.tokens,
                  ),
                ),
              ),
            ),
          ),
      h("h2", null, t.createCollectiveHeading),
      Object.keys(problems).length === 0
        ? null
        : h("div", { class: "notice problem", role: "alert" }, t.problemSummary),
      h(
        "form",
        { method: "post", action: "/workspace/admin/groups", class: "stack" },
        csrfInput(csrf),
        field(
          "handle",
          t.collectiveHandle,
          (a) =>
            h("input", {
              ...a,
              type: "text",
              required: true,
              maxlength: 30,
              autocapitalize: "none",
              spellcheck: "false",
              value: input?.handle ?? "",
            }),
          t.collectiveHandleHint,
        ),
        field("name", t.collectiveName, (a) =>
          h("input", {
            ...a,
            type: "text",
            required: true,
            maxlength: GROUP_LIMITS.name,
            value: input?.name ?? "",
          }),
        ),
        field("summary", t.collectiveSummary, (a) =>
          h("textarea", { ...a, rows: 3, maxlength: GROUP_LIMITS.summary }, input?.summary ?? ""),
        ),
        h(
          "fieldset",
          null,
          h("legend", null, t.followPolicyLabel),
          (["open", "approval"] as const).map((p) =>
            h(
              "div",
              null,
              h("input", {
                type: "radio",
                name: "followPolicy",
                value: p,
                id: `g-policy-${p}`,
                checked:
                  p === (input?.followPolicy === "approval" ? "approval" : "open")
                    ? true
                    : undefined,
                class: "choice",
              }),
              " ",
              h("label", { for: `g-policy-${p}`, class: "choice" }, t.followPolicies[p]),
            ),
          ),
        ),
        h("div", null, h("button", { type: "submit" }, t.createCollective)),
      ),
    ],
  });
}

/** The instance's accounts: who coordinates what, and taking access away. */
export function AccountsPage({
  page,
  account,
  csrf,
  accounts,
  groups,
  notice,
  resetLink,
}: WorkspaceView & {
  accounts: readonly AccountOverview[];
  groups: readonly Group[];
  notice?: string | undefined;
  /** A password reset link just issued: shown once, above the list. */
  resetLink?: { readonly username: string; readonly url: URL } | undefined;
}) {
  const { t, locale } = page;
  const zone = page.timeZone;
  const nameOf = new Map(groups.map((g) => [g.id, g.name]));
  const base = "/workspace/admin/accounts";
  const action = (id: string, path: string, text: string, label: string) =>
    h(
      "form",
      { method: "post", action: `${base}/${id}/${path}`, class: "inline" },
      csrfInput(csrf),
      h("button", { type: "submit", class: "secondary", "aria-label": label }, text),
    );
  return WorkspacePage({
    page,
    account,
    csrf,
    title: t.accountsHeading,
    nav: AdminNav({ page }),
    notice,
    children: [
      resetLink === undefined
        ? null
        : h(
            "div",
            { class: "notice", role: "status" },
            h("p", null, t.resetLinkCreated(resetLink.username)),
            h("p", { class: "secret" }, resetLink.url.href),
          ),
      accounts.length === 0
        ? h("p", null, t.accountsEmpty)
        : h(
            "ul",
            { class: "items", id: "accounts" },
            accounts.map((a) =>
              h(
                "li",
                { id: `a-${a.account.id}` },
                h("strong", null, a.account.username),
                h(
                  "div",
                  { class: "meta" },
                  a.account.isAdmin
                    ? t.accountAdmin
                    : a.groupIds.length === 0
                      ? t.accountNoGroups
                      : t.accountCoordinates(
                          a.groupIds.map((id) => nameOf.get(id) ?? id).join(", "),
                        ),
                  ` · ${formatInstant(a.account.createdAt, locale, zone)}`,
                  ` · ${t.accountSessions(a.liveSessions)}`,
                  a.revokedAt === null
                    ? null
                    : [" · ", h("span", { "data-state": "revoked" }, t.accountRevoked)],
                ),
                a.account.id === account.id
                  ? null
                  : h(
                      "div",
                      { class: "actions" },
                      a.liveSessions === 0
                        ? null
                        : action(
                            a.account.id,
                            "sign-out",
                            t.signOutEverywhere,
                            t.signOutEverywhereNamed(a.account.username),
                          ),
                      a.revokedAt === null
                        ? action(
                            a.account.id,
                            "reset-link",
                            t.resetLinkButton,
                            t.resetLinkNamed(a.account.username),
                          )
                        : null,
                      a.revokedAt === null
                        ? action(
                            a.account.id,
                            "revoke",
                            t.revokeAccess,
                            t.revokeAccessNamed(a.account.username),
                          )
                        : action(
                            a.account.id,
                            "restore",
                            t.restoreAccess,
                            t.restoreAccessNamed(a.account.username),
                          ),
                    ),
              ),
            ),
          ),
    ],
  });
}

/** The step before blocking a server: what is deleted at once, for good. */
export function BlockDomainPage({
  domain,
  carry,
  notConfirmed,
  ...view
}: WorkspaceView & {
  domain: string;
  carry: Readonly<Record<string, string>>;
  notConfirmed: boolean;
}) {
  const { t } = view.page;
  const base = "/workspace/admin/federation";
  return ConfirmStepPage({
    ...view,
    title: t.blockStepHeading(domain),
    text: t.blockStepText(domain),
    action: `${base}/domains`,
    box: { id: "block-confirm", label: t.blockStepConfirm, notTicked: t.tickToConfirm },
    notConfirmed,
    carry,
    button: t.blockStepButton,
    cancel: { href: base, text: t.confirmCancel },
  });
}

/** The warning before allowlist mode with no server allowed: federation would stop altogether. */
export function EmptyAllowlistPage({
  notConfirmed,
  ...view
}: WorkspaceView & { notConfirmed: boolean }) {
  const { t } = view.page;
  const base = "/workspace/admin/federation";
  return ConfirmStepPage({
    ...view,
    title: t.emptyAllowlistHeading,
    text: t.emptyAllowlistText,
    action: `${base}/mode`,
    box: { id: "allowlist-confirm", label: t.emptyAllowlistConfirm, notTicked: t.tickToConfirm },
    notConfirmed,
    carry: { mode: "allowlist" },
    button: t.emptyAllowlistButton,
    cancel: { href: base, text: t.confirmCancel },
  });
}

function SmsStatus({
  page,
  gateway,
}: {
  page: PageContext;
  gateway: { readonly protocol: string; readonly phoneNumber: string } | undefined;
}) {
  const { t } = page;
  return h(
    "p",
    { class: "meta", "data-sms": gateway === undefined ? "none" : gateway.protocol },
    gateway === undefined
      ? t.sms.notConfigured
      : t.sms.configured(
          gateway.protocol === "android" ? "Android" : "Twilio",
          gateway.phoneNumber,
        ),
  );
}
