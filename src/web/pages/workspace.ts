import { type Child, jsx as h } from "hono/jsx";
import type { Account } from "../../domain/account.ts";
import type { DomainPolicyEntry, FederationMode } from "../../domain/federation-policy.ts";
import type { Group } from "../../domain/group.ts";
import {
  type IntakeField,
  type IntakeInput,
  type IntakeProblem,
  type IntakeRequest,
  neededByDate,
} from "../../domain/intake.ts";
import {
  canChangeStatus,
  type Proposal,
  type ProposalStatus,
  type Purpose,
  TERMINAL_STATUSES,
} from "../../domain/proposal.ts";
import type { PageContext } from "../context.ts";
import { formatInstant, formatQuantity } from "../format.ts";
import { isLocale, LOCALE_NAMES } from "../i18n/locale.ts";
import { Layout } from "../layout.ts";
import { CSRF_FIELD } from "../session.ts";
import { IntakeFields } from "./intake-form.ts";

const csrfInput = (token: string) => h("input", { type: "hidden", name: CSRF_FIELD, value: token });

function SignOut({ page, account, csrf }: { page: PageContext; account: Account; csrf: string }) {
  const { t } = page;
  return h(
    "form",
    { method: "post", action: "/logout", class: "inline no-print" },
    h("p", { class: "meta" }, t.signedInAs(account.username)),
    csrfInput(csrf),
    h("button", { type: "submit", class: "secondary" }, t.signOut),
  );
}

/** The coordinator's start page: their collectives. */
export function WorkspacePage({
  page,
  account,
  csrf,
  groups,
}: {
  page: PageContext;
  account: Account;
  csrf: string;
  groups: readonly Group[];
}) {
  const { t } = page;
  return Layout({
    page,
    title: t.workspace,
    children: [
      h("h1", null, t.workspace),
      SignOut({ page, account, csrf }),
      account.isAdmin
        ? h(
            "p",
            { class: "actions" },
            h(
              "a",
              { class: "button secondary", href: "/workspace/admin/invitations" },
              t.inviteHeading,
            ),
            h(
              "a",
              { class: "button secondary", href: "/workspace/admin/federation" },
              t.federationHeading,
            ),
          )
        : null,
      h("h2", null, t.yourCollectives),
      groups.length === 0
        ? h("p", null, t.noCollectives)
        : h(
            "ul",
            { class: "items" },
            groups.map((g) =>
              h(
                "li",
                null,
                h("a", { href: `/groups/${g.handle}` }, g.name),
                " · ",
                h("a", { href: `/workspace/groups/${g.handle}/triage` }, t.triage),
                " · ",
                h("a", { href: `/workspace/groups/${g.handle}/posts` }, t.posts),
              ),
            ),
          ),
    ],
  });
}

/** What a coordinator is correcting: the request, their input and its problems. */
export interface TriageEdit {
  readonly id: string;
  readonly values: IntakeInput;
  readonly problems: Partial<Record<IntakeField, IntakeProblem>>;
}

/** A request as the coordinator's publish form starts: everything but the contact. */
export function publishDefaults(r: IntakeRequest): IntakeInput {
  return {
    title: r.title,
    description: r.description,
    category: r.category,
    quantityAmount: r.quantity?.amount ?? "",
    quantityUnit: r.quantity?.unit ?? "one",
    place: r.place ?? "",
    urgency: r.urgency,
    neededBy: r.neededBy === null ? "" : neededByDate(r.neededBy).toString(),
    contact: "",
  };
}

export function TriagePage({
  page,
  account,
  csrf,
  group,
  requests,
  today,
  notice,
  edit,
}: {
  page: PageContext;
  account: Account;
  csrf: string;
  group: Group;
  requests: readonly IntakeRequest[];
  today: Temporal.PlainDate;
  notice?: string | undefined;
  edit?: TriageEdit | undefined;
}) {
  const { t, locale } = page;
  const base = `/workspace/groups/${group.handle}/triage`;
  const item = (r: IntakeRequest): Child => {
    const editing = edit?.id === r.id ? edit : undefined;
    const fact = (term: string, value: string) => [h("dt", null, term), h("dd", null, value)];
    return h(
      "li",
      { id: `r-${r.id}` },
      h("h2", null, `${r.purpose === "request" ? t.kindRequest : t.kindOffer}: ${r.title}`),
      h("h3", null, t.fromPerson),
      h(
        "dl",
        { class: "facts" },
        fact(t.fieldCategory, t.categories[r.category]),
        fact(t.urgency, t.urgencies[r.urgency]),
        r.quantity === null
          ? null
          : fact(t.quantity, formatQuantity(r.quantity.amount, r.quantity.unit, locale)),
        r.place === null ? null : fact(t.where, r.place),
        r.neededBy === null ? null : fact(t.neededBy, formatInstant(r.neededBy, locale)),
        fact(t.personContact, r.contact),
        fact(t.language, isLocale(r.language) ? LOCALE_NAMES[r.language] : r.language),
        fact(t.sentOn, formatInstant(r.createdAt, locale)),
      ),
      r.description === "" ? null : h("p", null, r.description),
      h(
        "details",
        { open: editing === undefined ? undefined : true },
        h("summary", null, t.publishAs),
        h(
          "form",
          { method: "post", action: `${base}/${r.id}/publish`, class: "stack" },
          csrfInput(csrf),
          IntakeFields({
            page,
            purpose: r.purpose,
            values: editing?.values ?? publishDefaults(r),
            problems: editing?.problems ?? {},
            today,
            idPrefix: `p-${r.id}-`,
            contact: { label: t.privateContact, hint: t.privateContactHint, required: false },
          }),
          h("div", null, h("button", { type: "submit" }, t.publish)),
        ),
      ),
      h(
        "form",
        { method: "post", action: `${base}/${r.id}/decline` },
        csrfInput(csrf),
        h("button", { type: "submit", class: "secondary" }, t.decline),
      ),
    );
  };
  return Layout({
    page,
    title: t.triageHeading(group.name),
    children: [
      h("h1", null, t.triageHeading(group.name)),
      SignOut({ page, account, csrf }),
      notice === undefined ? null : h("p", { class: "notice", role: "status" }, notice),
      h("p", null, t.triageIntro),
      requests.length === 0
        ? h("p", null, t.triageEmpty)
        : h("ol", { class: "items" }, requests.map(item)),
    ],
  });
}

/** The status moves a coordinator can make by hand (`expired` is the server's). */
const MANUAL_STATUSES = [
  "pledged",
  "fulfilled",
  "closed",
] as const satisfies readonly ProposalStatus[];

/** A group's needs and offers with their status buttons. */
export function PostsPage({
  page,
  account,
  csrf,
  group,
  proposals,
  notice,
}: {
  page: PageContext;
  account: Account;
  csrf: string;
  group: Group;
  proposals: readonly Proposal[];
  notice?: string | undefined;
}) {
  const { t, locale, urls } = page;
  const base = `/workspace/groups/${group.handle}/posts`;
  return Layout({
    page,
    title: t.postsHeading(group.name),
    children: [
      h("h1", null, t.postsHeading(group.name)),
      SignOut({ page, account, csrf }),
      notice === undefined ? null : h("p", { class: "notice", role: "status" }, notice),
      h(
        "p",
        { class: "actions" },
        h("a", { class: "button", href: `${base}/new?purpose=request` }, t.newNeed),
        h("a", { class: "button secondary", href: `${base}/new?purpose=offer` }, t.newOffer),
      ),
      proposals.length === 0
        ? h("p", null, t.postsEmpty)
        : h(
            "ul",
            { class: "items" },
            proposals.map((p) =>
              h(
                "li",
                { id: `p-${p.id}` },
                h(
                  "a",
                  { href: urls.proposalPage(p.purpose, p.id).pathname },
                  `${p.purpose === "request" ? t.need : t.offer}: ${p.title}`,
                ),
                h(
                  "div",
                  { class: "meta" },
                  `${t.status}: `,
                  h("span", { "data-status": p.status }, t.statuses[p.status]),
                  ` · ${formatInstant(p.createdAt, locale)}`,
                ),
                h(
                  "form",
                  { method: "post", action: `${base}/${p.id}/status`, class: "actions" },
                  csrfInput(csrf),
                  TERMINAL_STATUSES.has(p.status)
                    ? null
                    : h("a", { class: "button secondary", href: `${base}/${p.id}/edit` }, t.edit),
                  MANUAL_STATUSES.filter((s) => s !== p.status && canChangeStatus(p.status, s)).map(
                    (s) =>
                      h(
                        "button",
                        { type: "submit", name: "status", value: s, class: "secondary" },
                        t.markAs[s],
                      ),
                  ),
                ),
              ),
            ),
          ),
    ],
  });
}

/** Write a new need or offer, or edit one: the intake fields, contact private and optional. */
export function PostFormPage({
  page,
  account,
  csrf,
  purpose,
  heading,
  action,
  values,
  problems,
  formError,
  today,
}: {
  page: PageContext;
  account: Account;
  csrf: string;
  purpose: Purpose;
  heading: string;
  action: string;
  values: IntakeInput;
  problems: Partial<Record<IntakeField, IntakeProblem>>;
  formError?: string | undefined;
  today: Temporal.PlainDate;
}) {
  const { t } = page;
  const hasProblems = formError !== undefined || Object.keys(problems).length > 0;
  return Layout({
    page,
    title: heading,
    children: [
      h("h1", null, heading),
      SignOut({ page, account, csrf }),
      h("p", null, t.postPublicNote),
      hasProblems
        ? h("div", { class: "notice problem", role: "alert" }, formError ?? t.problemSummary)
        : null,
      h(
        "form",
        { method: "post", action, class: "stack" },
        csrfInput(csrf),
        IntakeFields({
          page,
          purpose,
          values,
          problems,
          today,
          idPrefix: "f-",
          contact: { label: t.privateContact, hint: t.privateContactHint, required: false },
        }),
        h("div", null, h("button", { type: "submit" }, t.save)),
      ),
    ],
  });
}

/** An admin creates an invitation link; a new one is shown once, above the form. */
export function InvitationsPage({
  page,
  account,
  csrf,
  groups,
  created,
}: {
  page: PageContext;
  account: Account;
  csrf: string;
  groups: readonly Group[];
  created?: URL | undefined;
}) {
  const { t } = page;
  return Layout({
    page,
    title: t.inviteHeading,
    children: [
      h("h1", null, t.inviteHeading),
      SignOut({ page, account, csrf }),
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
}: {
  page: PageContext;
  account: Account;
  csrf: string;
  mode: FederationMode;
  domains: readonly DomainPolicyEntry[];
  notice?: string | undefined;
  problem?: string | undefined;
  input?: { domain: string; policy: string; reason: string } | undefined;
}) {
  const { t, locale } = page;
  const base = "/workspace/admin/federation";
  return Layout({
    page,
    title: t.federationHeading,
    children: [
      h("h1", null, t.federationHeading),
      SignOut({ page, account, csrf }),
      notice === undefined ? null : h("p", { class: "notice", role: "status" }, notice),
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
                h("div", { class: "meta" }, formatInstant(d.createdAt, locale)),
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
