import { jsx as h } from "hono/jsx";
import type { Account } from "../../domain/account.ts";
import type { Group } from "../../domain/group.ts";
import type { IntakeField, IntakeInput, IntakeProblem } from "../../domain/intake.ts";
import {
  canChangeStatus,
  type Proposal,
  type ProposalStatus,
  type Purpose,
  TERMINAL_STATUSES,
} from "../../domain/proposal.ts";
import type { PageContext } from "../context.ts";
import { formatInstant } from "../format.ts";
import { Layout } from "../layout.ts";
import { IntakeFields } from "./intake-form.ts";
import { coverageText } from "./responses.ts";

import { csrfInput, SignOut } from "./workspace.ts";

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
                  coverageLine(p),
                ),
                h(
                  "form",
                  { method: "post", action: `${base}/${p.id}/status`, class: "actions" },
                  csrfInput(csrf),
                  h(
                    "a",
                    { class: "button secondary", href: `${base}/${p.id}/responses` },
                    t.responses,
                  ),
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

  function coverageLine(p: Proposal) {
    const text = coverageText(page, p);
    return text === null ? null : ` · ${text}`;
  }
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
