import { jsx as h } from "hono/jsx";
import type { Group } from "../../domain/group.ts";
import type { Match } from "../../domain/matching.ts";
import { coverageOf, isFullyCovered, type QuantityProblem } from "../../domain/pledging.ts";
import { type Proposal, type Purpose, TERMINAL_STATUSES } from "../../domain/proposal.ts";
import type { Response } from "../../domain/response.ts";
import { isUnit } from "../../domain/units.ts";
import type { CandidateParty } from "../../services/matching.ts";
import { type PageContext, zoneOf } from "../context.ts";
import { formatInstant, formatNumber, formatQuantity } from "../format.ts";
import { matchExplanation } from "../i18n/match-text.ts";
import { csrfInput, WorkspacePage, type WorkspaceView } from "./workspace-page.ts";

/** A refused accept, shown next to the quantity field of that answer. */
export interface AcceptProblem {
  readonly responseId: string;
  readonly problem: QuantityProblem;
  /** What the coordinator typed, kept for the next try. */
  readonly quantity: string;
  readonly allowExcess: boolean;
}

/** How a quantity reads in the coordinator's language (units Intl lacks keep their symbol). */
export function quantityText(page: PageContext, amount: string, unit: string): string {
  return isUnit(unit) ? formatQuantity(amount, unit, page.locale) : `${amount} ${unit}`;
}

/**
 * "5 kilograms pledged, 45 kilograms still needed" ("50 kilograms pledged:
 * fully pledged" once nothing is), or null without a quantity.
 */
export function coverageText(page: PageContext, proposal: Proposal): string | null {
  const coverage = coverageOf(proposal);
  if (coverage === null) return null;
  const unit = coverage.total.unit;
  if (isFullyCovered(coverage.remaining)) {
    return page.t.pledgedAll(quantityText(page, coverage.pledged, unit));
  }
  return page.t.pledgedOf(
    quantityText(page, coverage.pledged, unit),
    quantityText(page, coverage.remaining, unit),
  );
}

/** A need's or offer's answers, each with accept and decline when it still waits. */
export function ResponsesPage({
  page,
  account,
  csrf,
  group,
  proposal,
  responses,
  notice,
  acceptProblem,
  reopenAction,
  matches,
}: WorkspaceView & {
  group: Group;
  proposal: Proposal;
  responses: readonly Response[];
  notice?: string | undefined;
  acceptProblem?: AcceptProblem | undefined;
  /** Where "post it again" goes; shown only for an ended one. */
  reopenAction: string;
  /** Offers for a need (needs for an offer) that fit it, best first. */
  matches: readonly Match<CandidateParty>[];
}) {
  const { t, urls, locale } = page;
  const zone = zoneOf(page, group);
  const heading = t.responsesHeading(proposal.title);
  const coverage = coverageText(page, proposal);
  const base = `/workspace/groups/${group.handle}`;
  return WorkspacePage({
    page,
    account,
    csrf,
    title: heading,
    notice,
    children: [
      h(
        "p",
        { class: "meta" },
        `${proposal.purpose === "request" ? t.need : t.offer} · ${t.status}: `,
        h("span", { "data-status": proposal.status }, t.statuses[proposal.status]),
        coverage === null ? null : h("span", { class: "coverage" }, ` · ${coverage}`),
        " · ",
        h("a", { href: urls.proposalPage(proposal.purpose, proposal.id).pathname }, t.seePublished),
        " · ",
        h("a", { href: `${base}/posts` }, t.posts),
      ),
      TERMINAL_STATUSES.has(proposal.status)
        ? h(
            "form",
            { method: "post", action: reopenAction, class: "actions" },
            csrfInput(csrf),
            h("button", { type: "submit" }, t.reopen),
          )
        : null,
      MatchesSection({ page, matches, purpose: proposal.purpose }),
      h("h2", null, t.responses),
      h("p", null, t.responsesIntro),
      responses.length === 0
        ? h("p", null, t.responsesEmpty)
        : h(
            "ul",
            { class: "items" },
            responses.map((r) =>
              ResponseItem({
                response: r,
                action: `${base}/responses/${r.id}`,
                problem: acceptProblem?.responseId === r.id ? acceptProblem : undefined,
              }),
            ),
          ),
    ],
  });

  function ResponseItem({
    response: r,
    action,
    problem,
  }: {
    response: Response;
    action: string;
    problem: AcceptProblem | undefined;
  }) {
    const who = r.actorName ?? r.actorId ?? t.someoneHere;
    const waiting = r.state === "proposed" && !TERMINAL_STATUSES.has(proposal.status);
    return h(
      "li",
      { id: `r-${r.id}` },
      h(
        "div",
        { class: "meta" },
        `${t.sources[r.source]} · ${who} · ${formatInstant(r.createdAt, locale, zone)} · `,
        h("span", { "data-state": r.state }, t.responseStates[r.state]),
      ),
      r.content
        .split(/\n{2,}/)
        .filter((para) => para.trim() !== "")
        .map((para) => h("p", null, para)),
      r.quantity === null
        ? null
        : h("p", null, `${t.quantity}: ${quantityText(page, r.quantity.amount, r.quantity.unit)}`),
      r.contact === null ? null : h("p", null, `${t.responderContact}: ${r.contact}`),
      r.reason === null ? null : h("p", null, `${t.reasonLabel}: ${r.reason}`),
      waiting ? AcceptForm({ response: r, action, problem }) : null,
      waiting ? RejectForm({ response: r, action }) : null,
    );
  }

  function AcceptForm({
    response: r,
    action,
    problem,
  }: {
    response: Response;
    action: string;
    problem: AcceptProblem | undefined;
  }) {
    const id = `q-${r.id}`;
    const unit = proposal.quantity?.unit ?? null;
    // An agreement counts with the quantity it committed; the others with what the coordinator reads.
    const asksQuantity = r.source !== "agreement" && unit !== null;
    const error = problem === undefined ? null : problemText(problem.problem);
    return h(
      "form",
      { method: "post", action: `${action}/accept`, class: "stack" },
      csrfInput(csrf),
      asksQuantity
        ? h(
            "div",
            null,
            h("label", { for: id }, t.acceptQuantity(isUnit(unit) ? t.units[unit] : unit)),
            h("input", {
              id,
              name: "quantity",
              type: "text",
              inputmode: "decimal",
              value: problem?.quantity ?? "",
              "aria-invalid": error === null ? undefined : "true",
              "aria-describedby": error === null ? undefined : `${id}-error`,
            }),
            error === null ? null : h("p", { class: "error", id: `${id}-error` }, error),
          )
        : error === null
          ? null
          : h("p", { class: "error", role: "alert" }, error),
      // Offered only once the server said the quantity is beyond what remains.
      problem?.problem === "exceeds-remaining"
        ? h(
            "div",
            null,
            h("input", { id: `x-${r.id}`, name: "allowExcess", type: "checkbox", value: "1" }),
            " ",
            h("label", { for: `x-${r.id}`, class: "choice" }, t.allowExcess),
          )
        : null,
      h("div", null, h("button", { type: "submit" }, t.accept)),
    );
  }

  function RejectForm({ response: r, action }: { response: Response; action: string }) {
    const id = `why-${r.id}`;
    return h(
      "form",
      { method: "post", action: `${action}/reject`, class: "stack" },
      csrfInput(csrf),
      h(
        "div",
        null,
        h("label", { for: id }, t.rejectReason),
        h("input", { id, name: "reason", type: "text", maxlength: 1000 }),
      ),
      h("div", null, h("button", { type: "submit", class: "secondary" }, t.reject)),
    );
  }

  function problemText(problem: QuantityProblem): string {
    const coverage = coverageOf(proposal);
    return quantityProblemText(page, problem, {
      unit: coverage?.total.unit ?? null,
      remaining: coverage?.remaining ?? null,
      step: coverage?.step ?? null,
    });
  }
}

/** Why a quantity was refused, in the reader's language, from what the check compared it with. */
export function quantityProblemText(
  page: PageContext,
  problem: QuantityProblem,
  target: { unit: string | null; remaining: string | null; step: string | null },
): string {
  const p = page.t.quantityProblems;
  switch (problem) {
    case "not-a-multiple":
      return p["not-a-multiple"](target.step ?? "1");
    case "exceeds-remaining":
      return p["exceeds-remaining"](
        quantityText(page, target.remaining ?? "0", target.unit ?? "one"),
      );
    default:
      return p[problem];
  }
}

/** Ranked matches, each with the sentence saying why and how far. */
function MatchesSection({
  page,
  matches,
  purpose,
}: {
  page: PageContext;
  matches: readonly Match<CandidateParty>[];
  /** The purpose of the need or offer they match. */
  purpose: Purpose;
}) {
  const { t, urls, locale } = page;
  const hrefOf = (m: Match<CandidateParty>): string | null => {
    const { source } = m.candidate;
    if (source.kind === "local") {
      return urls.proposalPage(source.proposal.purpose, source.proposal.id).pathname;
    }
    const address = source.remote.url ?? source.remote.objectId;
    // Another server's address is linked only when it is a web address.
    return /^https?:\/\//i.test(address) ? address : null;
  };
  return h(
    "section",
    { "aria-labelledby": "matches" },
    h("h2", { id: "matches" }, t.matches),
    matches.length === 0
      ? h("p", null, t.matchesEmpty)
      : h(
          "ol",
          { class: "items" },
          matches.map((m) => {
            const href = hrefOf(m);
            const title =
              m.candidate.source.kind === "local"
                ? m.candidate.source.proposal.title
                : m.candidate.source.remote.title;
            return h(
              "li",
              null,
              href === null ? h("strong", null, title) : h("a", { href }, title),
              h(
                "div",
                { class: "meta" },
                matchExplanation(t, locale, m.reasons, purpose),
                m.distanceKm === null
                  ? null
                  : ` · ${t.distance(formatNumber(String(m.distanceKm), locale))}`,
              ),
            );
          }),
        ),
  );
}
