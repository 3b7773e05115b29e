import { jsx as h } from "hono/jsx";
import type { Group } from "../../domain/group.ts";
import { canWithdraw, type IntakeRequest } from "../../domain/intake.ts";
import { type PageContext, zoneOf } from "../context.ts";
import { formatDeadline, formatInstant, formatQuantity } from "../format.ts";
import { Layout } from "../layout.ts";

/** The private status page behind `/requests/{token}`: state, what was sent, withdraw. */
export function RequestStatusPage({
  page,
  group,
  request: r,
  token,
  problem,
}: {
  page: PageContext;
  group: Group;
  request: IntakeRequest;
  token: string;
  problem?: string | undefined;
}) {
  const { t, locale } = page;
  const zone = zoneOf(page, group);
  const heading =
    r.purpose === "request" ? t.statusHeadingRequest(group.name) : t.statusHeadingOffer(group.name);
  const fact = (term: string, value: string) => [h("dt", null, term), h("dd", null, value)];
  return Layout({
    page,
    title: heading,
    children: [
      h("h1", null, heading),
      problem === undefined ? null : h("div", { class: "notice problem", role: "alert" }, problem),
      h(
        "p",
        { class: "notice", id: "state" },
        h("strong", null, `${t.state}: `),
        h("span", { "data-state": r.state }, t.states[r.state]),
        r.proposalId === null
          ? null
          : [
              " ",
              h(
                "a",
                { href: page.urls.proposalPage(r.purpose, r.proposalId).pathname },
                t.seePublished,
              ),
            ],
      ),
      h(
        "dl",
        { class: "facts" },
        fact(r.purpose === "request" ? t.fieldTitleRequest : t.fieldTitleOffer, r.title),
        fact(t.fieldCategory, t.categories[r.category]),
        fact(t.urgency, t.urgencies[r.urgency]),
        r.quantity === null
          ? null
          : fact(t.quantity, formatQuantity(r.quantity.amount, r.quantity.unit, locale)),
        r.place === null ? null : fact(t.where, r.place),
        r.neededBy === null
          ? null
          : fact(
              r.purpose === "request" ? t.neededBy : t.availableUntil,
              formatDeadline({ expiresAt: r.neededBy, expiresOn: r.neededOn }, locale, zone),
            ),
        fact(t.yourContact, r.contact),
        fact(t.sentOn, formatInstant(r.createdAt, locale, zone)),
      ),
      r.description === "" ? null : h("p", null, r.description),
      canWithdraw(r.state)
        ? h(
            "form",
            { method: "post", action: `/requests/${token}/withdraw`, class: "stack" },
            h("p", null, t.withdrawHelp),
            h("div", null, h("button", { type: "submit", class: "secondary" }, t.withdrawButton)),
          )
        : r.state === "withdrawn"
          ? null
          : h("p", null, t.cannotWithdraw),
    ],
  });
}
